// The `init` service of docker-compose.yml, run once before the sidecars:
// prepares the shared `run` volume as `npm start` prepares .dapr/run (the
// secret store file with a signing key, kept across restarts; the avatars
// folder) and hands it to the sidecars' user, who also writes the
// name-resolution database there.
//   node --conditions=compiled init-run-dir.mjs <run dir> <uid:gid>
import { chownSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRunDir } from '@chat/platform';

const [runDir, owner] = process.argv.slice(2);
const [uid, gid] = (owner ?? '').split(':').map(Number);
if (!runDir || !Number.isInteger(uid) || !Number.isInteger(gid)) {
  process.stderr.write('usage: init-run-dir.mjs <run dir> <uid:gid>\n');
  process.exit(2);
}
prepareRunDir(runDir);
const chownAll = (path) => {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownAll(join(path, name));
};
chownAll(runDir);
process.stdout.write(`${runDir} ready for ${uid}:${gid}\n`);
