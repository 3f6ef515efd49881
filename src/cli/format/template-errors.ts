/** A template that cannot be parsed or run: the message is what Docker (Go) would print. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TemplateError'
  }
}
