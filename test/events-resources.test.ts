// `events` of images, volumes and networks: what tag, rmi, save, load,
// volume create/rm, network create/connect/disconnect/rm and the prunes
// log, with Docker's actors and attributes, and the type filter that picks them.
import { mkdirSync, writeFileSync } from 'node:fs'
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

  it("container, network, volume and image prune: each its destroys, then Docker's prune event with the bytes it reclaimed", () => {
    const since = nowSeconds()
    const id = ok(['create', '--name', 'evpc', BUSYBOX, 'true']).trim()
    const netId = ok(['network', 'create', 'evpn']).trim()
    ok(['volume', 'create', 'evpv'])
    writeFileSync(join(cli.env.storeRoot, 'volumes', 'evpv', '_data', 'five'), 'bytes')
    for (const type of ['container', 'network', 'image']) ok([type, 'prune', '-f'])
    ok(['volume', 'prune', '-a', '-f'])
    ok(['builder', 'prune', '-f'])
    // a prune's actor has no id: its line has none
    expect(seen(since, ['-f', 'event=destroy', '-f', 'event=prune'])).toEqual([
      `container destroy ${id} {"image":"${BUSYBOX}","name":"evpc"}`,
      'container prune  {"reclaimed":"0"}',
      `network destroy ${netId} {"name":"evpn","type":"bridge"}`,
      'network prune  {"reclaimed":"0"}',
      'image prune  {"reclaimed":"0"}',
      'volume destroy evpv {"driver":"local"}',
      'volume prune  {"reclaimed":"5"}',
      'builder prune  {"reclaimed":"0"}',
    ])
    const prune = JSON.parse(ok(['events', '--since', since, '--until', '0s', '-f', 'type=container', '-f', 'event=prune', '--format', 'json']))
    expect(prune).toMatchObject({ status: 'prune', Type: 'container', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: '0' } } })
    expect(prune).not.toHaveProperty('id')
  })

  it('image prune and rmi: an untag for each name taken and a delete for each image gone, by its id, as the daemon logs them', () => {
    // a container keeps the fixture from prune -a
    const keep = ok(['create', BUSYBOX, 'true']).trim()
    const ctx = join(cli.env.dir, 'evbuild')
    mkdirSync(ctx, { recursive: true })
    const build = (label: string, tag: string) => {
      writeFileSync(join(ctx, 'Dockerfile'), `FROM scratch\nLABEL v=${label}\n`)
      // -q prints the id, sha256: and all, as docker build -q
      return ok(['build', '-q', '-t', tag, ctx]).trim()
    }
    // the second build takes the name: the first is left untagged
    const first = build('1', 'evprune:v1')
    const second = build('2', 'evprune:v1')
    const third = build('3', 'evrmi:v1')
    ok(['tag', third, 'evrmi:v2'])
    const since = nowSeconds()
    ok(['image', 'prune', '-f'])
    ok(['rmi', '-f', third])
    ok(['image', 'prune', '-a', '-f'])
    ok(['rm', keep])
    const removals = ['-f', 'type=image', '-f', 'event=untag', '-f', 'event=delete', '-f', 'event=prune']
    expect(seen(since, removals).map((l) => l.replace(/"reclaimed":"\d+"/, '"reclaimed":"N"'))).toEqual([
      `image delete ${first} {"name":"${first}"}`,
      'image prune  {"reclaimed":"N"}',
      `image untag ${third} {"name":"evrmi:v1"}`,
      `image untag ${third} {"name":"evrmi:v2"}`,
      `image delete ${third} {"name":"${third}"}`,
      `image untag ${second} {"name":"evprune:v1"}`,
      `image delete ${second} {"name":"${second}"}`,
      'image prune  {"reclaimed":"N"}',
    ])
  })
})
