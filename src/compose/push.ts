/**
 * `compose push`: the images of the services that build one and name it
 * (image:), each with its build.tags, pushed through the runtime's push
 * (registry/push.ts), as Docker Compose's pkg/compose/push.go does. A
 * service that only runs an image, or builds one without naming it, is
 * Skipped. A failed push ends the verb, or with ignoreFailures is a
 * warning and the others go on.
 */
import { MiniRunError } from '../errors.js'
import { ImageStore } from '../image/store.js'
import { emit, warn, type ComposeContext } from './compose-context.js'
import type { Project } from './model.js'

export interface PushServicesOptions {
  /** The services whose images are pushed, in order. */
  services: readonly string[]
  ignoreFailures: boolean
}

export async function pushServices(ctx: ComposeContext, project: Project, o: PushServicesOptions): Promise<void> {
  const { pushImage } = await import('../registry/push.js')
  const store = new ImageStore({ root: ctx.storeRoot })
  const done = new Set<string>()
  for (const name of o.services) {
    const s = project.services[name]!
    if (!s.build?.namedImage) {
      emit(ctx, 'Image', name, 'Skipped')
      continue
    }
    for (const tag of [s.image, ...s.build.tags]) {
      if (done.has(tag)) continue
      done.add(tag)
      emit(ctx, 'Image', tag, 'Pushing')
      try {
        await pushImage(tag, { store, insecureRegistries: ctx.insecureRegistries ?? [] })
      } catch (err) {
        if (!o.ignoreFailures) throw new MiniRunError(`pushing ${tag} (service ${name}): ${(err as Error).message}`, { cause: err, code: 'EPUSH' })
        warn(ctx, `pushing ${tag}: ${(err as Error).message}`)
        continue
      }
      emit(ctx, 'Image', tag, 'Pushed')
    }
  }
}
