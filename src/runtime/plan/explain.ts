/**
 * `--explain`: a plan as text for people, in sections, or as JSON for
 * tools. This is the teaching view of a container: every line is a syscall
 * (or a file write) and the reason for it, and it is the plan that runs,
 * not a description of it.
 */
import { explainStep } from './child-kinds.js'
import { explainHostStep } from './host-kinds.js'
import { SECTIONS, type SectionName } from './sections.js'
import type { ChildStep, HostStep, StartPlan } from './steps.js'

/** Reasons are wrapped to this many columns; the steps themselves are not (they are what runs). */
const WIDTH = 110

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, line]
}

function sectioned<T extends { section: SectionName; why: string }>(
  steps: readonly T[],
  line: (step: T) => string,
  number: (i: number) => string,
): string[] {
  const out: string[] = []
  const noted = new Set<SectionName>()
  let current: SectionName | undefined
  steps.forEach((step, i) => {
    if (step.section !== current) {
      current = step.section
      out.push('', `## ${SECTIONS[current].title}`)
      if (!noted.has(current)) out.push(`   (${SECTIONS[current].note})`)
      noted.add(current)
    }
    const n = number(i)
    const indent = ' '.repeat(n.length + 1)
    const [first, ...more] = line(step).split('\n')
    out.push(`${n} ${first}`, ...more.map((l) => `${indent}then ${l}`))
    for (const why of step.why.split('\n')) {
      wrap(why, WIDTH - indent.length - 5).forEach((line, i) => out.push(`${indent}${i === 0 ? 'why: ' : '     '}${line}`))
    }
  })
  return out
}

/** The plan as numbered, sectioned text; `what` names the operation ("run", "exec"). */
export function formatPlan(plan: StartPlan, what = 'run'): string {
  const hostWidth = String(plan.host.length).length + 1
  const childWidth = String(plan.child.length).length
  const legend = Object.entries(plan.legend ?? {})
  const lines = [
    `# mini-run ${what} --explain: every step, in order. P-steps are the runtime's (the parent process);`,
    '# numbered steps run in the container process, and a failure is reported with its number.',
    ...legend.map(([name, path]) => `# $${name} is ${path}`),
    '',
    '# The runtime',
    ...sectioned<HostStep>(plan.host, explainHostStep, (i) => `P${i + 1}.`.padStart(hostWidth + 1)),
    '',
    `# The container process (${plan.child.length} steps)`,
    ...sectioned<ChildStep>(plan.child, explainStep, (i) => `${String(i + 1).padStart(childWidth)}.`),
  ]
  let text = lines.join('\n') + '\n'
  for (const [name, path] of legend) text = text.replaceAll(`${path}/`, `$${name}/`).replaceAll(`${path}\n`, `$${name}\n`).replaceAll(`${path},`, `$${name},`)
  // the legend's own lines keep the path
  for (const [name, path] of legend) text = text.replace(`# $${name} is $${name}\n`, `# $${name} is ${path}\n`)
  return text
}

/** The plan as JSON: every step with its fields, section and reason (--explain=json). */
export function planJson(plan: StartPlan): string {
  const plain = (value: unknown): unknown => {
    if (typeof value === 'bigint') return value.toString()
    if (Buffer.isBuffer(value)) return { bytes: value.length }
    if (Array.isArray(value)) return value.map(plain)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
    return value
  }
  return (
    JSON.stringify(
      {
        host: plan.host.map((step) => plain({ ...step, text: explainHostStep(step) })),
        child: plan.child.map((step) => plain({ ...step, text: explainStep(step) })),
      },
      null,
      2,
    ) + '\n'
  )
}
