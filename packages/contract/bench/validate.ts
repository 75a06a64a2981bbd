/**
 * How long one `check` takes on the bodies and payloads the platform sees
 * most: `node --import tsx packages/contract/bench/validate.ts`. Prints
 * microseconds per check; a regression here is paid on every request.
 */
import { check, CreateRoomRequest, SendMessageRequest, SocketPayloads, type TSchema } from '../src/index.js';

const alice = '3f0b9c1e-6a2d-4c8e-9f57-1d2e3a4b5c6d';
const bob = '4a1c8d2f-7b3e-4d9f-8a68-2e3f4b5c6d7e';

const cases: Array<[name: string, schema: TSchema, value: unknown, path: string]> = [
  ['CreateRoom, valid (2 memberIds)', CreateRoomRequest, { name: ' general ', visibility: 'public', memberIds: [alice, bob] }, 'body'],
  ['CreateRoom, invalid (4 problems)', CreateRoomRequest, { name: '', visibility: 'secret', memberIds: [alice, alice], extra: 1 }, 'body'],
  ['SendMessage, valid', SendMessageRequest, { body: 'Hello, room!', clientMsgId: 'c-7f3a9e' }, 'body'],
  ['socket message:send, valid', SocketPayloads['message:send'], { roomId: alice, body: 'Hello, room!', clientMsgId: 'c-7f3a9e' }, 'payload'],
];

const WARM_UP = 20_000;
const ROUNDS = 200_000;

for (const [name, schema, value, path] of cases) {
  const once = () => check(schema, value, { path });
  for (let i = 0; i < WARM_UP; i++) once();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) once();
  const micros = Number(process.hrtime.bigint() - started) / ROUNDS / 1000;
  console.log(`${name.padEnd(36)} ${micros.toFixed(2).padStart(8)} µs`);
}
