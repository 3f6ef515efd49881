/**
 * A warning the libraries say themselves, outside any verb's own events
 * (a registries.conf left out, NODE_EXTRA_CA_CERTS that cannot be read):
 * a "WARNING: ..." line on stderr, as Docker's, unless the CLI asks for
 * another form (compose --progress json prints logrus's JSON).
 */
let sink = (message: string): void => void process.stderr.write(`WARNING: ${message}\n`)

export function printWarning(message: string): void {
  sink(message)
}

export function setWarningSink(print: (message: string) => void): void {
  sink = print
}
