// `events` of images, volumes and networks: what tag, rmi, save, load,
// volume create/rm and network create/connect/disconnect/rm log, with
// Docker's actors and attributes, and the type filter that picks them.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'

const nowSeconds = () => (Date.now() / 1000).toFixed(3)

describe.skipIf(!isRoot)('events of images, volumes and networks (needs root: a bridge and a container)', () => {
  const cli = useCliEnv()
  const { ok } = cli
  const seen = (since: string, args: string[] = []) =>
    ok(['events', '--since', since, '--until', '0s', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}', ...args])
      .trim()
      .split('\n')
      .filter(Boolean)

  it('tag, save, load, rmi: tag, save, load, untag with the image id and the name concerned', () => {
    const imageId = ok(['image', 'inspect', '--format', '{{.Id}}', BUSYBOX]).trim()
    const since = nowSeconds()
    ok(['tag', BUSYBOX, 'evtag:v1'])
    const archive = join(cli.env.dir, 'ev.tar')
    ok(['save', '-o', archive, 'evtag:v1'])
    ok(['load', '-i', archive])
    ok(['rmi', 'evtag:v1'])
    expect(seen(since, ['-f', 'type=image'])).toEqual([
      `image tag ${imageId} {"name":"evtag:v1"}`,
      `image save ${imageId} {"name":"evtag:v1"}`,
      `image load ${imageId} {"name":"evtag:v1"}`,
      `image untag ${imageId} {"name":"evtag:v1"}`,
    ])
    // image= matches the name with or without its tag
    expect(seen(since, ['-f', 'image=evtag', '-f', 'event=untag'])).toHaveLength(1)
  })

  it('volume create and rm: create and destroy, the volume its actor', () => {
    const since = nowSeconds()
    ok(['volume', 'create', 'evvol'])
    ok(['volume', 'rm', 'evvol'])
    expect(seen(since, ['-f', 'volume=evvol'])).toEqual(['volume create evvol {"driver":"local"}', 'volume destroy evvol {"driver":"local"}'])
  })

  it('network create, connect, disconnect, rm: the network its actor, the container an attribute', () => {
    const since = nowSeconds()
    const netId = ok(['network', 'create', 'evnet']).trim()
    const id = ok(['create', '--name', 'evc', BUSYBOX, 'true']).trim()
    ok(['network', 'connect', 'evnet', 'evc'])
    ok(['network', 'disconnect', 'evnet', 'evc'])
    ok(['rm', 'evc'])
    ok(['network', 'rm', 'evnet'])
    expect(seen(since, ['-f', 'type=network', '-f', 'network=evnet'])).toEqual([
      `network create ${netId} {"name":"evnet","type":"bridge"}`,
      `network connect ${netId} {"container":"${id}","name":"evnet","type":"bridge"}`,
      `network disconnect ${netId} {"container":"${id}","name":"evnet","type":"bridge"}`,
      `network destroy ${netId} {"name":"evnet","type":"bridge"}`,
    ])
  })
})
