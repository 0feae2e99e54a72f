/**
 * A failure a command has already told the user about (e.g. `rmi` reports each image that could
 * not be removed as it goes): the CLI exits 1 without printing anything more.
 */
export class ReportedFailure extends Error {
  constructor() {
    super('failure already reported');
  }
}
