// Compose without root: loading a file into the model (interpolation, the
// short and long syntaxes, schema errors with their paths, merging, profiles),
// the dependency order, the project's name, and the hash that decides what
// `up` recreates.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { At } from '../src/compose/compose-error.js'
import { configHash } from '../src/compose/config-hash.js'
import { configYaml } from '../src/compose/config-document.js'
import { startWaves, withDependencies } from '../src/compose/dependency-order.js'
import { parseDotenv } from '../src/compose/dotenv.js'
import { interpolateString } from '../src/compose/interpolate.js'
import { loadProject } from '../src/compose/load.js'
import type { Service } from '../src/compose/model.js'
import { projectName, projectNameOfDir } from '../src/compose/project-name.js'
import { serviceRunFlags } from '../src/compose/service-flags.js'
import { runOptionsFromFlags } from '../src/runtime/container/container-flags.js'
import { shellWords } from '../src/compose/values.js'
import { findComposeFiles } from '../src/compose/find-files.js'
import { miniRun } from './helpers/cli.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A project directory with these files; load it. */
function load(files: Record<string, string>, o: Parameters<typeof loadProject>[0] = {}) {
  const dir = mkdtempSync('/tmp/mini-run-compose-')
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return { dir, ...loadProject({ cwd: dir, env: {}, ...o }) }
}
const fails = (files: Record<string, string>, o: Parameters<typeof loadProject>[0] = {}) => {
  try {
    load(files, o)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('it loaded')
}

describe('compose: interpolation', () => {
  const vars: Record<string, string> = { SET: 'x', EMPTY: '' }
  const ip = (text: string) => interpolateString(text, { lookup: (n) => vars[n], unset: new Set() }, new At('compose.yaml', ['services', 'web', 'image']))
  it('substitutes every form, as compose-go does', () => {
    expect(ip('$SET ${SET} a$$b $$SET')).toBe('x x a$b $SET')
    expect(ip('${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}')).toBe('d d  d')
    expect(ip('${SET:+yes} ${EMPTY:+yes} ${EMPTY+yes} ${UNSET+yes}')).toBe('yes  yes ')
    expect(ip('${UNSET:-${SET}-${UNSET2:-z}}')).toBe('x-z')
    expect(ip('cost: $5')).toBe('cost: $5')
  })
  it('an unset variable is empty and noted; ${VAR:?msg} and bad syntax fail with the path', () => {
    const unset = new Set<string>()
    expect(interpolateString('a${NOPE}b', { lookup: () => undefined, unset }, new At('f'))).toBe('ab')
    expect([...unset]).toEqual(['NOPE'])
    expect(() => ip('${EMPTY:?give it}')).toThrow('compose.yaml: services.web.image: required variable EMPTY is missing a value: give it')
    expect(() => ip('${EMPTY?no}')).not.toThrow()
    expect(() => ip('${SET')).toThrow(/services\.web\.image: invalid interpolation format/)
    expect(() => ip('${SET:x}')).toThrow(/invalid interpolation format/)
  })
  it('.env: export, comments, quotes, escapes, variables defined before', () => {
    const env = parseDotenv('# c\nexport A=1\nB = two # note\nC="q\\n${A}"\nD=\'${A} raw\'\nE=${B}x\nF=a#b\nG\n', '.env', (n) => (n === 'G' ? 'from-env' : undefined))
    expect(Object.fromEntries(env)).toEqual({ A: '1', B: 'two', C: 'q\n1', D: '${A} raw', E: 'twox', F: 'a#b', G: 'from-env' })
    expect(() => parseDotenv('1A=x\n', '.env', () => undefined)).toThrow('.env: line 1: invalid variable name "1A"')
  })
  it('variables come from the caller, then .env beside the file', () => {
    const { project, warnings } = load({
      'compose.yaml': 'services:\n  web:\n    image: "busybox:${TAG}"\n    ports: ["${PORT:-8080}:80"]\n    environment: [LEVEL=$LEVEL]\n    command: echo ${MISSING}\n',
      '.env': 'TAG=1.36\nPORT=9000\nLEVEL=debug\n',
    }, { env: { LEVEL: 'info' } })
    expect(project.services.web!.image).toBe('busybox:1.36')
    expect(project.services.web!.ports).toEqual(['9000:80'])
    expect(project.services.web!.environment).toEqual({ LEVEL: 'info' })
    expect(project.services.web!.command).toEqual(['echo'])
    expect(warnings).toContain('The "MISSING" variable is not set. Defaulting to a blank string.')
  })
})

describe('compose: the model', () => {
  it('short and long syntaxes come out the same', () => {
    const { project, dir } = load({
      'compose.yaml': `
version: "3.8"
services:
  a:
    image: busybox
    command: sh -c 'echo "hi there"'
    entrypoint: ["/init"]
    environment: {A: 1, B: null, C: "x=y"}
    ports: ["8080:80", "127.0.0.1::81/udp", 82, {target: 83, published: "9083", host_ip: 127.0.0.1}]
    volumes: ["data:/data:ro", "./site:/www", "/anon", {type: bind, source: ./conf, target: /conf, read_only: true}, {type: tmpfs, target: /t, tmpfs: {size: 1m}}, {type: volume, source: data, target: /d2, volume: {nocopy: true}}]
    depends_on: [b]
    networks: {front: {aliases: [api]}}
    healthcheck: {test: curl -f localhost, interval: 1m30s, timeout: 5s, retries: 2, start_period: 500ms}
    restart: on-failure:3
    stop_grace_period: 1m
    deploy: {resources: {limits: {cpus: "0.5", memory: 64m, pids: 50}}}
    labels: [tier=web]
    init: "true"
  b:
    image: busybox
    depends_on: {a2: {condition: service_healthy}}
    healthcheck: {disable: true}
    network_mode: none
  a2:
    build: {context: ./app, dockerfile: Dockerfile.dev, args: [V=1]}
    depends_on: {b2: {condition: service_completed_successfully, required: false}}
  b2:
    image: busybox
volumes: {data: {}}
networks: {front: {}}
`,
    }, { env: { B: 'from-env' } })
    const a = project.services.a!
    expect(a.command).toEqual(['sh', '-c', 'echo "hi there"'])
    expect(a.entrypoint).toEqual(['/init'])
    expect(a.environment).toEqual({ A: '1', B: 'from-env', C: 'x=y' })
    expect(a.ports).toEqual(['8080:80', '127.0.0.1::81/udp', '82', '127.0.0.1:9083:83/tcp'])
    expect(a.volumes).toEqual([
      { type: 'volume', source: 'data', target: '/data', readOnly: true },
      { type: 'bind', source: join(dir, 'site'), target: '/www', readOnly: false, createHostPath: true },
      { type: 'volume', target: '/anon', readOnly: false },
      { type: 'bind', source: join(dir, 'conf'), target: '/conf', readOnly: true, createHostPath: false },
      { type: 'tmpfs', target: '/t', readOnly: false, size: 1048576 },
      { type: 'volume', source: 'data', target: '/d2', readOnly: false, nocopy: true },
    ])
    expect(a.networks).toEqual({ front: { aliases: ['api'] } })
    expect(a.dependsOn).toEqual({ b: { condition: 'service_started', required: true, restart: false } })
    expect(a.healthcheck).toEqual({ Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 90e9, Timeout: 5e9, Retries: 2, StartPeriod: 5e8 })
    expect(a.restart).toEqual({ name: 'on-failure', maximumRetryCount: 3 })
    expect(a.stopTimeout).toBe(60)
    expect([a.cpus, a.memLimit, a.pidsLimit, a.init]).toEqual(['0.5', '64m', '50', true])
    expect(a.labels).toEqual({ tier: 'web' })
    expect(project.services.b!.healthcheck).toEqual({ Test: ['NONE'] })
    expect(project.services.b!.networks).toEqual({})
    expect(project.services.a2!.image).toBe(`${project.name}-a2`)
    expect(project.services.a2!.build).toMatchObject({ context: join(dir, 'app'), dockerfile: join(dir, 'app', 'Dockerfile.dev'), args: { V: '1' } })
    expect(project.networks.front!.name).toBe(`${project.name}_front`)
    expect(project.volumes.data!.name).toBe(`${project.name}_data`)
  })

  it('a service means what the same flags of run mean', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    entrypoint: [sh, -c]\n    command: ["exec nginx"]\n    ports: ["8080:80"]\n    volumes: ["data:/d:ro", "/anon"]\n    networks: {default: {aliases: [www]}}\n    read_only: true\n    privileged: true\n    devices: ["/dev/fuse:/dev/fuse:rw"]\n    device_cgroup_rules: ["c 10:229 rwm"]\nvolumes: {data: {}}\n',
    })
    const { image, command, flags } = serviceRunFlags({
      service: project.services.web!,
      containerName: 'p-web-1',
      networks: [{ key: 'default', name: 'p_default', aliases: ['www'] }],
      volumeNames: { data: 'p_data' },
      anonymousVolumes: { '/anon': 'f'.repeat(64) },
      labels: { l: '1' },
      detach: true,
    })
    expect([image, command]).toEqual(['nginx', ['-c', 'exec nginx']])
    expect(flags).toMatchObject({
      entrypoint: 'sh', name: 'p-web-1', network: 'p_default', networkAlias: ['web', 'www'], publish: ['8080:80'],
      volume: ['p_data:/d:ro', `${'f'.repeat(64)}:/anon`], readOnly: true, label: ['l=1'], detach: true,
      privileged: true, device: ['/dev/fuse:/dev/fuse:rw'], deviceCgroupRule: ['c 10:229 rwm'],
    })
  })

  it('expose: reaches the container as run --expose does; a bad port fails at load, with its path', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    expose: [80, "7000-7001/udp"]\n' })
    const { image, command, flags } = serviceRunFlags({
      service: project.services.web!, containerName: 'p-web-1', networks: [{ key: 'default', name: 'p_default', aliases: [] }], volumeNames: {}, labels: {}, detach: true,
    })
    expect(flags.expose).toEqual(['80', '7000-7001/udp'])
    expect(runOptionsFromFlags(image, command, flags, {}).networkFlags?.expose).toEqual(['80/tcp', '7000/udp', '7001/udp'])
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    expose: ["80:80"]\n' })).toBe('compose.yaml: services.web.expose[0]: invalid port "80:80": PORT[-PORT][/PROTOCOL]')
  })

  it('an empty file (no bytes, only comments, {}) is compose-go\'s "empty compose file": one line, exit 1 as docker compose\'s errors, nothing done', () => {
    expect(fails({ 'compose.yaml': '' })).toBe('compose.yaml: empty compose file')
    expect(fails({ 'compose.yaml': '# nothing yet\n\n' })).toBe('compose.yaml: empty compose file')
    expect(fails({ 'compose.yaml': '{}\n' })).toBe('compose.yaml: empty compose file')
    // merged: an empty override adds nothing to a file that has something
    expect(Object.keys(load({ 'compose.yaml': 'services: {web: {image: a}}\n', 'compose.override.yaml': '' }).project.services)).toEqual(['web'])
    const dir = load({ 'compose.yaml': 'services: {}\n' }).dir
    writeFileSync(join(dir, 'compose.yaml'), '# nothing yet\n')
    for (const verb of [['up', '-d'], ['config'], ['ps']]) {
      const r = miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), 'compose', ...verb], { cwd: dir })
      expect([r.stderr, r.stdout, r.status]).toEqual(['mini-run: compose.yaml: empty compose file\n', '', 1])
    }
    expect(readdirSync(dir)).toEqual(['compose.yaml'])
  })

  it('two files merge: maps key by key, environment by name, volumes by target, command replaced', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: a\n    command: [one]\n    environment: [A=1, B=2]\n    ports: ["80:80"]\n    volumes: ["./x:/x", "./y:/y"]\n',
      'compose.override.yaml': 'services:\n  web:\n    image: b\n    command: [two]\n    environment: {B: 3}\n    ports: ["81:81"]\n    volumes: ["./z:/x"]\n',
    })
    const web = project.services.web!
    expect([web.image, web.command, web.environment, web.ports]).toEqual(['b', ['two'], { A: '1', B: '3' }, ['80:80', '81:81']])
    expect(web.volumes.map((v) => `${v.source}:${v.target}`)).toEqual([`${project.workingDir}/y:/y`, `${project.workingDir}/z:/x`])
    expect(project.files.map((f) => f.split('/').pop())).toEqual(['compose.yaml', 'compose.override.yaml'])
  })

  it('two files merge: dns, dns_search, dns_opt, tmpfs and extra_hosts are appended without repeats, whichever syntax each file uses', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: a\n    dns: 1.1.1.1\n    dns_search: a.example\n    dns_opt: [ndots:2]\n    tmpfs: /run\n    extra_hosts: ["one:10.0.0.1", "two=10.0.0.2"]\n',
      'compose.override.yaml': 'services:\n  web:\n    dns: [8.8.8.8, 1.1.1.1]\n    dns_search: b.example\n    dns_opt: [ndots:2, timeout:1]\n    tmpfs: [/tmp]\n    extra_hosts: {one: 10.0.0.9, three: 10.0.0.3}\n',
    })
    const web = project.services.web!
    expect([web.dns, web.dnsSearch, web.dnsOpt, web.tmpfs]).toEqual([['1.1.1.1', '8.8.8.8'], ['a.example', 'b.example'], ['ndots:2', 'timeout:1'], ['/run', '/tmp']])
    expect(web.extraHosts).toEqual(['one:10.0.0.1', 'two:10.0.0.2', 'one:10.0.0.9', 'three:10.0.0.3'])
  })

  it('extra_hosts as compose-go reads them: = before :, several addresses after a comma, brackets; one without an address is refused at load, by its path', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    extra_hosts: ["h6=::1", "h7:::2", "two=10.0.0.1,10.0.0.2", "b=[fe80::1]", "gw:host-gateway"]\n' })
    expect(project.services.web!.extraHosts).toEqual(['h6:::1', 'h7:::2', 'two:10.0.0.1', 'two:10.0.0.2', 'b:[fe80::1]', 'gw:host-gateway'])
    // docker compose: "invalid additional host, missing IP: bad", before anything is made (up left its network behind)
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: a\n    extra_hosts: ["ok:10.0.0.1", "bad"]\n' })).toBe('compose.yaml: services.web.extra_hosts[1]: invalid additional host, missing IP: bad')
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: a\n    extra_hosts: {h: nowhere}\n' })).toMatch(/^compose.yaml: services.web.extra_hosts.h\[0\]: invalid additional host "h": "nowhere" is not an IP address/)
  })

  it('a value run would refuse is refused at load, by run\'s own checks, naming the key (up would have made the networks first)', () => {
    const web = (yaml: string) => fails({ 'compose.yaml': `services:\n  web:\n    image: a\n${yaml}` })
    // [the service's lines, run's refusal as load words it: its path, then run's message]
    const refused: [string, string | RegExp][] = [
      ['    cap_add: [CHOWN, BOGUS]\n', 'compose.yaml: services.web.cap_add[1]: unknown capability: "BOGUS"'],
      ['    cap_drop: [nope]\n', 'compose.yaml: services.web.cap_drop[0]: unknown capability: "nope"'],
      ['    mac_address: zz\n', 'compose.yaml: services.web.mac_address: invalid --mac-address "zz"'],
      ['    networks: {default: {mac_address: "02:42"}}\n', 'compose.yaml: services.web.networks.default.mac_address: invalid --mac-address "02:42"'],
      ['    dns: [1.1.1.1, notanip]\n', 'compose.yaml: services.web.dns[1]: invalid --dns "notanip": an IPv4 or IPv6 address'],
      ['    sysctls: {net.core.somaxconn: 1, foo.bar: 1}\n', /^compose.yaml: services.web.sysctls.foo.bar: --sysctl foo.bar: not a parameter of a namespace/],
      ['    network_mode: host\n    sysctls: [net.ipv4.ip_forward=1]\n', /^compose.yaml: services.web.sysctls.net.ipv4.ip_forward: .*shares the host's network namespace/],
      ['    ulimits: {nofile: 5, nofilex: 1}\n', /^compose.yaml: services.web.ulimits.nofilex: invalid --ulimit nofilex=1: expected NAME=SOFT\[:HARD\]/],
      ['    ulimits: {nofile: {soft: 9, hard: 5}}\n', 'compose.yaml: services.web.ulimits.nofile: invalid --ulimit nofile=9:5: the soft limit is above the hard limit'],
      ['    devices: ["/dev/null:/dev/n:rwx"]\n', 'compose.yaml: services.web.devices[0]: invalid --device /dev/null:/dev/n:rwx: permissions are made of r, w and m'],
      ['    device_cgroup_rules: ["c 1:3 rwm", "x 1:1 r"]\n', /^compose.yaml: services.web.device_cgroup_rules\[1\]: invalid --device-cgroup-rule/],
      ['    security_opt: [bogus]\n', /^compose.yaml: services.web.security_opt\[0\]: --security-opt bogus: not supported/],
      ['    tmpfs: ["/x:bogus"]\n', 'compose.yaml: services.web.tmpfs[0]: --tmpfs /x:bogus: invalid mount option "bogus"'],
      ['    tmpfs: [/proc]\n', /^compose.yaml: services.web.tmpfs\[0\]: invalid --tmpfs/],
      ['    volumes: [/a:/b, "/c:/proc"]\n', /^compose.yaml: services.web.volumes\[1\]: invalid -v .*\/proc is mounted by mini-run/],
      ['    shm_size: 0\n', 'compose.yaml: services.web.shm_size: invalid --shm-size "0": must be greater than 0'],
      ['    mem_limit: 1k\n', 'compose.yaml: services.web.mem_limit: minimum memory limit allowed is 6MB'],
      ['    deploy: {resources: {limits: {memory: 1k}}}\n', 'compose.yaml: services.web.deploy.resources.limits.memory: minimum memory limit allowed is 6MB'],
      ['    memswap_limit: 1g\n', 'compose.yaml: services.web.memswap_limit: you should always set the memory limit when using the memory-swap limit'],
      ['    mem_limit: 1g\n    mem_reservation: 2g\n', 'compose.yaml: services.web.mem_reservation: Minimum memory limit can not be less than memory reservation limit, see usage'],
      ['    cpus: 0.5\n    cpu_period: 5000\n', 'compose.yaml: services.web.cpu_period: Conflicting options: Nano CPUs and CPU Period cannot both be set'],
      ['    cpu_shares: 1\n', 'compose.yaml: services.web.cpu_shares: invalid --cpu-shares "1": an integer of at least 2'],
      ['    cpuset: "1-0"\n', 'compose.yaml: services.web.cpuset: Invalid value 1-0 for cpuset cpus'],
      ['    working_dir: rel\n', "compose.yaml: services.web.working_dir: the working directory 'rel' is invalid, it needs to be an absolute path"],
      ['    user: "99999999999999"\n', 'compose.yaml: services.web.user: invalid user id: 99999999999999'],
      ['    user: "0:99999999999999"\n', 'compose.yaml: services.web.user: invalid group id: 99999999999999'],
      ['    uts: host\n    hostname: h\n', 'compose.yaml: services.web.hostname: --hostname cannot be used with --uts host: it would rename the host'],
      ['    pid: bogus\n', /^compose.yaml: services.web.pid: --pid bogus is not supported/],
      ['    ipc: bogus\n', /^compose.yaml: services.web.ipc: --ipc bogus is not supported/],
      ['    logging: {options: {max-size: zz}}\n', 'compose.yaml: services.web.logging.options.max-size: invalid --log-opt max-size=zz: a positive size such as 10k, 1m or 20m'],
      ['    stop_signal: SIGFOO\n', 'compose.yaml: services.web.stop_signal: invalid signal: SIGFOO'],
    ]
    for (const [yaml, error] of refused) {
      if (typeof error === 'string') expect(web(yaml)).toBe(error)
      else expect(web(yaml)).toMatch(error)
    }
    // what run takes, compose takes: service: joins as container: does
    expect(load({ 'compose.yaml': 'services:\n  db: {image: a}\n  web:\n    image: a\n    pid: service:db\n    ipc: service:db\n    network_mode: service:db\n    sysctls: {net.core.somaxconn: 1}\n    cap_add: [net_admin, ALL]\n    working_dir: ""\n    user: "app:staff"\n    volumes: [vol:/v, /host:/h:ro]\n    tmpfs: [/run]\nvolumes: {vol: {}}\n' }).project.services.web!.capAdd).toEqual(['net_admin', 'ALL'])
  })

  it('against the host only for a verb that makes containers (onHost): a device node that is not there, more CPUs than it has', () => {
    const cases: [string, keyof Service, unknown, RegExp][] = [
      ['devices: [/dev/null, /nonexistent/dev]', 'devices', ['/dev/null', '/nonexistent/dev'], /^compose.yaml: services.web.devices\[1\]: --device \/nonexistent\/dev: \/nonexistent\/dev is not a device node on this host$/],
      ['deploy: {resources: {limits: {cpus: "100000"}}}', 'cpus', '100000', /^compose.yaml: services.web.deploy.resources.limits.cpus: Range of CPUs is from 0.01 to \d+.00/],
    ]
    for (const [yaml, key, value, error] of cases) {
      const files = { 'compose.yaml': `services:\n  web:\n    image: a\n    ${yaml}\n` }
      expect(load(files).project.services.web![key]).toEqual(value)
      expect(fails(files, { onHost: true })).toMatch(error)
    }
  })

  it('a port said twice, in either syntax or either file, is published once (compose-go\'s portIndexer); expose\'s 1000 and "1000" are one', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: a\n    ports: ["8080:80", "9000:90", "7000-7001:70-71"]\n    expose: ["1000"]\n',
      'compose.override.yaml': 'services:\n  web:\n    ports:\n      - {target: 80, published: 8080}\n      - "0.0.0.0:9000:90/tcp"\n      - "7001:71"\n      - "127.0.0.1:8080:80"\n    expose: [1000]\n',
    })
    expect(project.services.web!.ports).toEqual(['8080:80', '9000:90', '7000-7001:70-71', '127.0.0.1:8080:80'])
    expect(project.services.web!.expose).toEqual(['1000'])
    expect(load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    ports: ["8080:80", "8080:80/tcp"]\n' }).project.services.web!.ports).toEqual(['8080:80'])
    // a host range for one port is its own entry: published "8000-8010", not 8000
    expect(load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    ports: ["8000:80", "8000-8010:80"]\n', 'compose.override.yaml': 'services:\n  web:\n    ports: ["8000-8010:80"]\n' }).project.services.web!.ports).toEqual(['8000:80', '8000-8010:80'])
  })

  it('profiles: a service with one runs only when it is active or named', () => {
    const files = { 'compose.yaml': 'services:\n  web: {image: a}\n  debug: {image: b, profiles: [dev]}\n' }
    expect(Object.keys(load(files).project.services)).toEqual(['web'])
    expect(load(files).project.disabledServices).toEqual(['debug'])
    expect(Object.keys(load(files, { profiles: ['dev'] }).project.services)).toEqual(['web', 'debug'])
    expect(Object.keys(load(files, { env: { COMPOSE_PROFILES: 'dev' } }).project.services)).toEqual(['web', 'debug'])
    expect(Object.keys(load(files, { services: ['debug'] }).project.services)).toEqual(['web', 'debug'])
    // every profile the file names, enabled or not (config --profiles)
    expect(load({ 'compose.yaml': 'services:\n  a: {image: a, profiles: [z, dev]}\n  b: {image: b, profiles: [dev, ops]}\n' }).project.profiles).toEqual(['dev', 'ops', 'z'])
  })

  it('a disabled service\'s env_file and label_file are not read, nor its values checked against the host, as compose-go resolves only enabled services', () => {
    const files = {
      'compose.yaml': 'services:\n  web: {image: a}\n  debug:\n    image: b\n    profiles: [dev]\n    env_file: missing.env\n    label_file: missing.labels\n    devices: [/nonexistent/dev]\n',
      'there.env': 'A=1\n',
    }
    expect(Object.keys(load(files, { onHost: true }).project.services)).toEqual(['web'])
    // enabled by its profile, or by its name: read, checked, and refused
    expect(fails(files, { profiles: ['dev'] })).toMatch(/^compose.yaml: services.debug.env_file: cannot read \/\S+\/missing.env: ENOENT$/)
    expect(fails(files, { services: ['debug'] })).toMatch(/^compose.yaml: services.debug.env_file: cannot read /)
    const fixed = { ...files, 'compose.yaml': files['compose.yaml'].replace('missing.env', 'there.env').replace('    label_file: missing.labels\n', '') }
    expect(fails(fixed, { profiles: ['dev'], onHost: true })).toMatch(/^compose.yaml: services.debug.devices\[0\]: --device \/nonexistent\/dev: /)
    expect(load(fixed, { profiles: ['dev'] }).project.services.debug!.environment).toEqual({ A: '1' })
  })

  it('with services named, only they and their dependencies have their env_file read, as compose-go\'s WithSelectedServices leaves the rest', () => {
    const files = {
      'compose.yaml': 'services:\n  web: {image: a, depends_on: [db], env_file: web.env, environment: {B: own}}\n  db: {image: b, env_file: db.env, label_file: db.labels}\n  other: {image: c, env_file: missing.env}\n',
      'web.env': 'A=web\nB=file\n',
      'db.env': 'A=db\n',
      'db.labels': 'x=1\n',
    }
    const { project } = load(files, { services: ['web'] })
    expect(project.services.web!.environment).toEqual({ A: 'web', B: 'own' })
    expect([project.services.db!.environment, project.services.db!.labels]).toEqual([{ A: 'db' }, { x: '1' }])
    expect(fails(files)).toMatch(/^compose.yaml: services.other.env_file: cannot read /)
    expect(fails(files, { services: ['other'] })).toMatch(/^compose.yaml: services.other.env_file: cannot read /)
    // a service that joins one in scope (network_mode: service:, volumes_from) is recreated with it by up: read too
    const joined = { ...files, 'compose.yaml': `${files['compose.yaml']}  sidecar: {image: d, network_mode: "service:db", env_file: side.env}\n`, 'side.env': 'S=1\n' }
    expect(load(joined, { services: ['web'] }).project.services.sidecar!.environment).toEqual({ S: '1' })
    // a verb on what exists (down, ps, logs) reads no env_file, as docker compose's projectOrName; label_file still
    const byName = load(files, { skipEnvFiles: true }).project
    expect([byName.services.other!.environment, byName.services.db!.environment, byName.services.db!.labels]).toEqual([{}, {}, { x: '1' }])
  })
})

describe('compose: errors name the file and the path', () => {
  const svc = (body: string) => ({ 'compose.yaml': `services:\n  web:\n    image: busybox\n${body}` })
  it('the schema\'s: an unknown key, a wrong type, a wrong value', () => {
    expect(fails(svc('    portz: ["1:1"]\n'))).toBe('compose.yaml: services.web.portz: unknown key (not in the Compose Specification)')
    expect(fails(svc('    ports: 80\n'))).toBe('compose.yaml: services.web.ports: expected a list')
    expect(fails(svc('    depends_on: {db: {condition: healthy}}\n'))).toMatch(/^compose\.yaml: services\.web\.depends_on\.db\.condition: must be one of "service_started"/)
    expect(fails({ 'compose.yaml': 'servicez: {}\n' })).toBe('compose.yaml: servicez: unknown key (not in the Compose Specification)')
  })
  it('the model\'s: ports, volumes, durations, references, cycles, unsupported keys, YAML itself', () => {
    expect(fails(svc('    ports: ["80:x"]\n'))).toBe('compose.yaml: services.web.ports[0]: invalid port "80:x": "x" is not a port (1-65535)')
    expect(fails(svc('    volumes: [data:/d]\n'))).toBe('compose.yaml: services.web.volumes[0]: refers to undefined volume data: declare it under the top-level volumes')
    expect(fails(svc('    healthcheck: {test: [CMD, "true"], interval: 5 s}\n'))).toBe('compose.yaml: services.web.healthcheck.interval: invalid duration "5 s" (e.g. 30s, 1m30s, 500ms)')
    expect(fails(svc('    networks: [back]\n'))).toBe('compose.yaml: services.web.networks[0]: refers to undefined network back: declare it under the top-level networks')
    expect(fails(svc('    depends_on: [db]\n'))).toBe('compose.yaml: services.web.depends_on.db: service "web" depends on undefined service "db"')
    expect(fails(svc('    runtime: runsc\n'))).toBe('compose.yaml: services.web.runtime: not supported by mini-run')
    expect(fails(svc('    restart: sometimes\n'))).toMatch(/^compose\.yaml: services\.web\.restart: invalid restart policy "sometimes"/)
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: ${TAG:?set TAG}\n' })).toBe('compose.yaml: services.web.image: required variable TAG is missing a value: set TAG')
    expect(fails({ 'compose.yaml': 'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n' })).toBe('compose.yaml: services.a.depends_on: dependency cycle: a -> b -> c -> a')
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: x\n   bad: 1\n' })).toMatch(/^compose\.yaml: line 4, column \d+: /)
    expect(fails({ 'compose.yaml': 'services:\n  web: {build: {context: .}, container_name: cc, scale: 2}\n' })).toMatch(/services\.web\.container_name: a container name is for one container/)
    expect(fails({}, { env: {} })).toMatch(/no configuration file provided/)
  })
})

describe('compose: order and names', () => {
  const s = (deps: string[]) => ({ dependsOn: Object.fromEntries(deps.map((d) => [d, { condition: 'service_started' as const, required: true, restart: false }])) })
  it('waves of services whose dependencies started before; the dependencies of what is asked for', () => {
    const services = { web: s(['db', 'cache']), db: s([]), cache: s([]), worker: s(['db']) }
    expect(startWaves(services)).toEqual([['cache', 'db'], ['web', 'worker']])
    expect([...withDependencies(services, ['worker'])].sort()).toEqual(['db', 'worker'])
  })
  it('the project name: -p, COMPOSE_PROJECT_NAME, name:, the directory', () => {
    expect(projectName({ flag: 'app', env: 'x', file: 'y', dir: '/a/b' })).toBe('app')
    expect(projectName({ env: 'x', file: 'y', dir: '/a/b' })).toBe('x')
    expect(projectName({ file: 'y', dir: '/a/b' })).toBe('y')
    expect(projectNameOfDir('/home/me/My App.v2')).toBe('myappv2')
    expect(() => projectName({ flag: 'Bad_Name', dir: '/' })).toThrow(/invalid project name "Bad_Name" \(-p\)/)
    const { project } = load({ 'compose.yaml': 'name: fromfile\nservices: {web: {image: a}}\n' })
    expect(project.name).toBe('fromfile')
    expect(project.networks.default!.name).toBe('fromfile_default')
    // several files: the last that names one as written (compose-go's projectName); an empty name names none,
    // one that interpolates to nothing leaves the directory's
    const files = { 'base.yaml': 'name: shop\nservices: {web: {image: a}}\n', 'empty.yaml': 'name: ""\n', 'ci.yaml': 'name: ${PROJECT}\n' }
    expect(load(files, { files: ['base.yaml', 'empty.yaml'] }).project.name).toBe('shop')
    const unset = load(files, { files: ['base.yaml', 'ci.yaml'] })
    expect(unset.project.name).toBe(projectNameOfDir(unset.dir))
    expect(load(files, { files: ['base.yaml', 'ci.yaml'], env: { PROJECT: 'ci' } }).project.name).toBe('ci')
  })
  it('shell words as compose-go splits a command string', () => {
    expect(shellWords(`sh -c "echo \\"a b\\"" 'c d' e\\ f`, new At('f'))).toEqual(['sh', '-c', 'echo "a b"', 'c d', 'e f'])
  })
})

describe('compose: what up recreates', () => {
  const base = 'name: p\nservices:\n  web:\n    image: a\n    environment: {A: "1"}\n'
  const hash = (text: string, imageId = 'sha256:1') => {
    const { project } = load({ 'compose.yaml': text })
    return configHash(project.services.web!, imageId, [{ key: 'default', name: `${project.name}_default`, aliases: [] }], {})
  }
  it('the same file hashes the same; a changed environment, image or command does not; the replica count does not count', () => {
    const h = hash(base)
    expect(hash(base)).toBe(h)
    expect(hash(base.replace('"1"', '"2"'))).not.toBe(h)
    expect(hash(base, 'sha256:2')).not.toBe(h)
    expect(hash(base + '    command: [x]\n')).not.toBe(h)
    expect(hash(base + '    scale: 3\n')).toBe(h)
    expect(hash('name: p\nservices:\n  web:\n    environment: {A: "1"}\n    image: a\n')).toBe(h)
  })
})

describe('compose: which files', () => {
  it('-f files; else COMPOSE_FILE; else compose.yaml or its older names here or in a parent, with the override', () => {
    const { dir } = load({ 'compose.yaml': 'services: {}\n', 'docker-compose.yml': 'services: {}\n', 'compose.override.yaml': 'services: {}\n', 'sub/deeper/x': '' })
    const found = findComposeFiles([], join(dir, 'sub', 'deeper'), {})
    expect(found.files).toEqual([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')])
    expect(found.warnings[0]).toMatch(/^Found multiple config files with supported names: .*compose\.yaml, .*docker-compose\.yml; using .*compose\.yaml$/)
    expect(findComposeFiles(['a.yaml', '/x/b.yaml'], dir, {}).files).toEqual([join(dir, 'a.yaml'), '/x/b.yaml'])
    expect(findComposeFiles([], dir, { COMPOSE_FILE: 'one.yaml:two.yaml' }).files).toEqual([join(dir, 'one.yaml'), join(dir, 'two.yaml')])
  })
})

describe('compose config: the project as it runs, loadable again', () => {
  const yaml = `services:
  web:
    image: busybox
    command: sh -c 'echo $$HOME'
    environment: {A: "x$$y", B: "\${B_VALUE}"}
    dns: [1.1.1.1]
    domainname: example.org
    sysctls: {net.core.somaxconn: 1024}
    dns_search: example.com
    dns_opt: [ndots:2]
    security_opt: [no-new-privileges]
    group_add: ["100", audio]
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64}
    logging: {driver: local, options: {max-size: 10m}}
    stdin_open: true
    tty: true
    cpus: "0.5"
    cpu_shares: 512
    pids_limit: 100
    mem_limit: 100m
    memswap_limit: -1
    ports: ["8080:80"]
    volumes: [data:/data, ./site:/www:ro]
    healthcheck: {test: [CMD, "true"], interval: 1m30s}
    restart: on-failure:3
    stop_grace_period: 1m
    labels: [tier=web]
    networks: {front: {aliases: [api]}}
  worker:
    image: busybox
    deploy: {resources: {limits: {cpus: "1.5", memory: 1g, pids: 50}}}
    network_mode: none
    ipc: private
volumes: {data: {labels: {keep: "yes"}}}
networks: {front: {}}
`
  const config = (dir: string, args: string[], input?: string) => {
    const format = args.indexOf('--format')
    const composeArgs = format < 0 ? args : args.slice(0, format)
    const r = miniRun(['compose', ...composeArgs, 'config', ...(format < 0 ? [] : args.slice(format))], { cwd: dir, env: { ...process.env, B_VALUE: 'cost $5' }, ...(input !== undefined ? { input } : {}) })
    expect([r.stderr, r.status]).toEqual(['', 0])
    return r.stdout
  }

  it('keeps every key mini-run applies, numbers as compose-go prints them, sizes in bytes, each $ doubled', () => {
    const { dir } = load({ 'compose.yaml': yaml })
    const out = config(dir, ['-p', 'p'])
    for (const part of [
      "      - sh\n      - -c\n      - echo $$HOME\n",
      '      A: x$$y\n      B: cost $$5\n',
      '    dns:\n      - 1.1.1.1\n    dns_opt:\n      - ndots:2\n    dns_search:\n      - example.com\n    domainname: example.org\n',
      '    sysctls:\n      net.core.somaxconn: "1024"\n',
      '    group_add:\n      - "100"\n      - audio\n',
      '    logging:\n      driver: local\n      options:\n        max-size: 10m\n',
      '    security_opt:\n      - no-new-privileges\n    stdin_open: true\n',
      '    tty: true\n    ulimits:\n      nofile:\n        soft: 1024\n        hard: 2048\n      nproc: 64\n',
      '    cpu_shares: 512\n    cpus: 0.5\n',
      '    mem_limit: "104857600"\n    memswap_limit: "-1"\n',
      '    pids_limit: 100\n',
      '    cpus: 1.5\n',
      '    ipc: private\n    mem_limit: "1073741824"\n',
      '    pids_limit: 50\n',
      '  data:\n    name: p_data\n    labels:\n      keep: yes\n',
    ]) expect(out).toContain(part)
    const json = JSON.parse(config(dir, ['-p', 'p', '--format', 'json'])) as { services: Record<string, Record<string, unknown>> }
    expect([json.services.web!.cpus, json.services.web!.pids_limit, json.services.web!.mem_limit, json.services.web!.environment]).toEqual([0.5, 100, '104857600', { A: 'x$$y', B: 'cost $$5' }])
  })

  it('its output, fed back with -f -, is the same document', () => {
    const { dir } = load({ 'compose.yaml': yaml })
    const out = config(dir, ['-p', 'p'])
    expect(config(dir, ['-f', '-'], out)).toBe(out)
    expect(config(dir, ['-f', '-', '--format', 'json'], out)).toBe(config(dir, ['-p', 'p', '--format', 'json']))
  })

  it('two files: env_file lists are appended, whichever syntax each uses, the later file\'s values winning', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: a\n    env_file: one.env\n',
      'compose.override.yaml': 'services:\n  web:\n    env_file: [{path: two.env}, {path: three.env, required: false}]\n',
      'one.env': 'A=1\nB=1\n',
      'two.env': 'B=2\nC=2\n',
    })
    expect(project.services.web!.environment).toEqual({ A: '1', B: '2', C: '2' })
  })
})

describe('compose: loading as compose-go v2.1.4 does (a review\'s differences)', () => {
  it('a service named on the command line enables its profiles: its dependency of the same profile comes with it', () => {
    const files = { 'compose.yaml': 'services:\n  web: {image: a}\n  mock: {image: b, profiles: [dev], depends_on: [db]}\n  db: {image: c, profiles: [dev]}\n  other: {image: d, profiles: [test]}\n' }
    const { project } = load(files, { services: ['mock'] })
    expect(Object.keys(project.services)).toEqual(['web', 'mock', 'db'])
    expect(project.disabledServices).toEqual(['other'])
  })

  it('!reset drops a key, here and in the files before; !override replaces instead of merging', () => {
    const { project, warnings } = load({
      'compose.yaml': 'services:\n  web:\n    image: a\n    command: [sleep, "1"]\n    ports: ["8080:80"]\n    environment: {A: "1", B: "2"}\n    dns: 1.1.1.1\n  api:\n    image: b\n    ports: ["9090:90"]\n',
      'compose.override.yaml': 'services:\n  web:\n    ports: !override ["8081:80"]\n    command: !reset null\n    environment: !override {C: "3"}\n    dns: !reset []\n  api:\n    ports: !reset []\n',
    })
    const web = project.services.web!
    expect([web.ports, web.command, web.environment, web.dns]).toEqual([['8081:80'], undefined, { C: '3' }, []])
    expect(project.services.api!.ports).toEqual([])
    expect(warnings).toEqual([])
  })

  it('build: a context alone, merged with a mapping either way, keeps what each file says', () => {
    const one = load({ 'compose.yaml': 'services:\n  web:\n    build: ./app\n', 'compose.override.yaml': 'services:\n  web:\n    build: {target: dev}\n', 'app/Dockerfile': 'FROM scratch\n' })
    expect(one.project.services.web!.build).toMatchObject({ context: join(one.dir, 'app'), target: 'dev' })
    const two = load({ 'compose.yaml': 'services:\n  web:\n    build: {context: ., dockerfile: Other}\n', 'compose.override.yaml': 'services:\n  web:\n    build: ./app\n', 'app/Other': 'FROM scratch\n' })
    expect(two.project.services.web!.build).toMatchObject({ context: join(two.dir, 'app'), dockerfile: join(two.dir, 'app', 'Other') })
  })

  it('the file\'s name: is normalised (My.App is myapp); -p and COMPOSE_PROJECT_NAME must be valid as given', () => {
    expect(load({ 'compose.yaml': 'name: My.App\nservices:\n  web: {image: a}\n' }).project.name).toBe('myapp')
    expect(fails({ 'compose.yaml': 'services:\n  web: {image: a}\n' }, { env: { COMPOSE_PROJECT_NAME: 'My.App' } })).toMatch(/invalid project name "My.App" \(COMPOSE_PROJECT_NAME\)/)
  })

  it('COMPOSE_FILE and COMPOSE_PROFILES in .env say which files and profiles', () => {
    const { project } = load({ '.env': 'COMPOSE_FILE=one.yaml:two.yaml\nCOMPOSE_PROFILES=dev\n', 'one.yaml': 'services:\n  web: {image: a}\n', 'two.yaml': 'services:\n  web: {image: b}\n  debug: {image: c, profiles: [dev]}\n' })
    expect(project.files.map((f) => f.split('/').at(-1))).toEqual(['one.yaml', 'two.yaml'])
    expect([project.services.web!.image, Object.keys(project.services)]).toEqual(['b', ['web', 'debug']])
  })

  it('shm_size is run\'s --shm-size', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    shm_size: 64m\n' })
    const { image, command, flags } = serviceRunFlags({ service: project.services.web!, containerName: 'p-web-1', networks: [], volumeNames: {}, labels: {}, detach: true })
    expect(runOptionsFromFlags(image, command, flags, {}).shmSize).toBe(64 * 1024 * 1024)
  })

  it('oom_score_adj is run\'s --oom-score-adj; out of the kernel\'s range it is refused by its path', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    oom_score_adj: -200\n' })
    const { image, command, flags } = serviceRunFlags({ service: project.services.web!, containerName: 'p-web-1', networks: [], volumeNames: {}, labels: {}, detach: true })
    expect(runOptionsFromFlags(image, command, flags, {}).oomScoreAdj).toBe(-200)
    expect(() => load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    oom_score_adj: 2000\n' })).toThrow(/oom_score_adj/)
  })

  it("annotations (a mapping or a list) are run's --annotation, printed by config; none, or an empty one, hashes as before", () => {
    for (const annotations of ['{org.example.a: x, org.example.b: "2"}', '["org.example.a=x", "org.example.b=2"]']) {
      const { project } = load({ 'compose.yaml': `services:\n  web:\n    image: a\n    annotations: ${annotations}\n` })
      const { image, command, flags } = serviceRunFlags({ service: project.services.web!, containerName: 'p-web-1', networks: [], volumeNames: {}, labels: {}, detach: true })
      expect(runOptionsFromFlags(image, command, flags, {}).annotations).toEqual({ 'org.example.a': 'x', 'org.example.b': '2' })
      // compose-go's order: annotations before build
      expect(configYaml(project)).toContain('  web:\n    annotations:\n      org.example.a: x\n      org.example.b: "2"\n    image: a\n')
    }
    // a key without a value is an annotation with an empty one (compose-go's Mapping)
    for (const bare of ['[org.example.flag]', '{org.example.flag: null}']) {
      expect(load({ 'compose.yaml': `services:\n  web:\n    image: a\n    annotations: ${bare}\n` }).project.services.web!.annotations).toEqual({ 'org.example.flag': '' })
    }
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: a\n' })
    const hash = (service: typeof project.services.web) => configHash(service!, 'sha256:1', [], {})
    for (const empty of ['    annotations: {}\n', '    annotations: []\n']) {
      const { project: p } = load({ 'compose.yaml': `services:\n  web:\n    image: a\n${empty}` })
      expect(hash(p.services.web!)).toBe(hash(project.services.web!))
    }
  })

  it("sysctls (a mapping or a list) and domainname are run's --sysctl and --domainname; a service without them hashes as before", () => {
    for (const sysctls of ['{net.core.somaxconn: 1024, kernel.shmmni: "2048"}', '["net.core.somaxconn=1024", "kernel.shmmni=2048"]']) {
      const { project } = load({ 'compose.yaml': `services:\n  web:\n    image: a\n    domainname: example.org\n    sysctls: ${sysctls}\n` })
      const { image, command, flags } = serviceRunFlags({ service: project.services.web!, containerName: 'p-web-1', networks: [], volumeNames: {}, labels: {}, detach: true })
      expect(flags.sysctl).toEqual(['net.core.somaxconn=1024', 'kernel.shmmni=2048'])
      const o = runOptionsFromFlags(image, command, flags, {})
      expect([o.domainname, o.sysctls]).toEqual(['example.org', ['net.core.somaxconn=1024', 'kernel.shmmni=2048']])
    }
    // the config hash of a service that names neither is the one it had before they were known (up recreates nothing)
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: a\n' })
    const hash = (service: typeof project.services.web) => configHash(service!, 'sha256:1', [], {})
    expect(Object.keys(project.services.web!)).not.toContain('sysctls')
    expect(Object.keys(project.services.web!)).not.toContain('domainname')
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: a\n    sysctls: ["=1"]\n' })).toMatch(/^compose\.yaml: services\.web\.sysctls\[0\]: .*name is empty/)
    // a key without a value is no setting to drop silently; none at all, or an empty name, is as if absent
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: a\n    sysctls: [net.core.somaxconn]\n' })).toBe('compose.yaml: services.web.sysctls[0]: a kernel parameter needs a value: KEY=VALUE, or KEY: VALUE')
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: a\n    sysctls: {net.core.somaxconn: null}\n' })).toBe('compose.yaml: services.web.sysctls.net.core.somaxconn: a kernel parameter needs a value: KEY=VALUE, or KEY: VALUE')
    for (const empty of ['    sysctls: {}\n', '    sysctls: []\n', '    domainname: ""\n']) {
      const { project: p } = load({ 'compose.yaml': `services:\n  web:\n    image: a\n${empty}` })
      expect(hash(p.services.web!)).toBe(hash(project.services.web!))
    }
  })

  it('cpuset, cpu_period, cpu_quota, mem_reservation and deploy.resources.reservations.memory are run\'s flags; reserved devices are refused by their path', () => {
    const flagsOf = (yaml: string) => {
      const { project, warnings } = load({ 'compose.yaml': `services:\n  web:\n    image: a\n${yaml}` })
      const { image, command, flags } = serviceRunFlags({ service: project.services.web!, containerName: 'p-web-1', networks: [], volumeNames: {}, labels: {}, detach: true })
      return { flags, resources: runOptionsFromFlags(image, command, flags, {}).resources, warnings, project }
    }
    const { resources, project } = flagsOf('    cpuset: "0"\n    cpu_period: 50000\n    cpu_quota: 25000\n    mem_reservation: 64m\n')
    expect(resources).toMatchObject({ cpusetCpus: '0', cpuPeriod: '50000', cpuQuota: '25000', memoryReservation: '64m' })
    expect(configYaml(project)).toMatch(/    cpu_period: 50000\n    cpu_quota: 25000\n[\s\S]*    cpuset: "0"\n[\s\S]*    mem_reservation: "67108864"\n/)
    const deploy = flagsOf('    deploy: {resources: {reservations: {memory: 32m, cpus: "0.5"}}}\n')
    expect(deploy.resources?.memoryReservation).toBe('32m')
    expect(deploy.warnings).toContain('compose.yaml: services.web.deploy.resources.reservations.cpus: ignored (a swarm setting)')
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: a\n    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n' })).toBe('compose.yaml: services.web.deploy.resources.reservations.devices: not supported by mini-run')
  })

  it('config prints ports as compose-go makes them: a range one entry per port, mode ingress (its default), host_ip before target', () => {
    const { project } = load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    ports: ["127.0.0.1:8000-8001:80-81/udp", "90"]\n' })
    expect(configYaml(project)).toContain(
      [
        '    ports:',
        '      - mode: ingress',
        '        host_ip: 127.0.0.1',
        '        target: 80',
        '        published: "8000"',
        '        protocol: udp',
        '      - mode: ingress',
        '        host_ip: 127.0.0.1',
        '        target: 81',
        '        published: "8001"',
        '        protocol: udp',
        '      - mode: ingress',
        '        target: 90',
        '        protocol: tcp',
        '',
      ].join('\n'),
    )
  })

  it('.env: ${A} is the caller\'s A before an earlier line\'s', () => {
    expect(parseDotenv('A=file\nB=${A}\n', '.env', (n) => (n === 'A' ? 'shell' : undefined)).get('B')).toBe('shell')
  })
})

describe('compose: label_file and cgroup', () => {
  it('label_file: KEY=VALUE files, the later over the earlier, ${} their own labels, labels over both; cgroup is run\'s --cgroupns', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  a:\n    image: busybox\n    label_file: [one.labels, ./sub/two.labels]\n    labels: {c: own}\n    cgroup: host\n',
      // ${X}: a label read before, not the environment's X
      'one.labels': 'a=1\nb=${a}-x\nc=one\nd=${X}\n',
      'sub/two.labels': '# a comment\nb=two\ne=${a}-two\n',
    }, { env: { X: 'shell' } })
    const a = project.services.a!
    expect(a.labels).toEqual({ a: '1', b: 'two', c: 'own', d: '', e: '1-two' })
    expect(a.cgroup).toBe('host')
    const flags = serviceRunFlags({ service: a, containerName: 'x', networks: [], volumeNames: {}, labels: {}, detach: true }).flags
    expect(flags.cgroupns).toBe('host')
    expect(flags.label).toContain('e=1-two')
    expect(configYaml(project)).toMatch(/\n {4}cgroup: host\n/)
    expect(fails({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    label_file: nope.labels\n' })).toMatch(/^compose\.yaml: services\.a\.label_file: cannot read \/.*\/nope\.labels: ENOENT$/)
    expect(fails({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    cgroup: shared\n' })).toMatch(/^compose\.yaml: services\.a\.cgroup/)
  })
})

describe('compose: links', () => {
  it('a link is a dependency (restarted with it) and its alias a name of the linked service on their networks; what one name cannot mean is refused', () => {
    const { project } = load({
      'compose.yaml': 'services:\n  web:\n    image: busybox\n    links: [db, "cache:kv"]\n    depends_on: {cache: {condition: service_healthy}}\n  db:\n    image: busybox\n  cache:\n    image: busybox\n    networks: [default, back]\nnetworks:\n  back: {}\n',
    })
    const web = project.services.web!
    expect(web.links).toEqual([{ service: 'db', alias: 'db' }, { service: 'cache', alias: 'kv' }])
    expect(web.dependsOn).toEqual({ cache: { condition: 'service_healthy', required: true, restart: false }, db: { condition: 'service_started', required: true, restart: true } })
    // on the network both join only
    expect(project.services.cache!.networks).toEqual({ default: { aliases: ['kv'] }, back: { aliases: [] } })
    expect(project.services.db!.networks.default!.aliases).toEqual([])
    expect(configYaml(project)).toMatch(/\n {4}links:\n {6}- db\n {6}- cache:kv\n/)
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    links: [nope]\n' })).toBe('compose.yaml: services.web.depends_on.nope: service "web" depends on undefined service "nope"')
    expect(fails({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    links: ["x:db"]\n  b:\n    image: busybox\n    links: ["y:db"]\n  x:\n    image: busybox\n  y:\n    image: busybox\n' })).toBe(
      'compose.yaml: services.b.links[0]: the alias "db" names service y here and x in service a\'s links: mini-run gives a link\'s alias to the whole network, where it can name only one',
    )
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    links: ["cache:db"]\n  db:\n    image: busybox\n  cache:\n    image: busybox\n' })).toBe(
      'compose.yaml: services.web.links[0]: the alias "db" of service cache is a name of service db on their network: mini-run gives a link\'s alias to the whole network, where it can name only one',
    )
    // SERVICE:ALIAS has two parts; anything else names a service (none here)
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    links: ["db:a:b"]\n  db:\n    image: busybox\n' })).toBe('compose.yaml: services.web.depends_on.db:a:b: service "web" depends on undefined service "db:a:b"')
    expect(fails({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    network_mode: none\n    links: [b]\n  b:\n    image: busybox\n' })).toMatch(/^compose\.yaml: services\.a\.links\[0\]: service "a" links to "b", and they share no project network/)
  })
})
