// The refusals of the rules API, with the HTTP status kind (a module of its own, light to load).
export class RulesError extends Error {
  constructor(
    readonly kind: 'bad_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'RulesError';
  }
}
