/**
 * Template failures: `TemplateError` for text that does not parse or that uses a feature of Go
 * templates shale does not implement (wrong usage), `TemplateExecError` for a template that parses
 * but fails on the data (a missing field, a wrong argument type). Both read `template: …`.
 */
import { ShaleError } from '../../core/index.ts';

export class TemplateError extends ShaleError {
  constructor(message: string, pos?: number) {
    super(
      'ERR_INVALID_ARGUMENT',
      `template: ${message}${pos === undefined ? '' : ` (at offset ${pos})`}`,
    );
  }
}

export class TemplateExecError extends ShaleError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', `template: ${message}`);
  }
}
