/** A child process for the reference-lock test: tags image ID `ID` in store `ROOT` as each of `REFS`. */
import { asDigest } from '../../src/core/digest.ts';
import { parseDockerRef } from '../../src/core/reference.ts';
import { openStore } from '../../src/store/index.ts';

const [root, id, ...refs] = process.argv.slice(2);
const store = await openStore(root);
for (const ref of refs) await store.references.set(parseDockerRef(ref), asDigest(id!));
