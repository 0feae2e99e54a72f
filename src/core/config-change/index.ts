/**
 * `--change` for commit and import: Dockerfile instructions (CMD, ENTRYPOINT, ENV, EXPOSE,
 * HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME, WORKDIR) applied to a container config the way
 * Docker 20.10 applies them.
 */
export { applyChanges } from './apply.ts';
export { parseChanges, type Instruction } from './parse.ts';
