/**
 * What each component profile (components/<profile>/) needs running on this
 * machine, and how `npm start` can start it when it is installed but not
 * running. docs/profiles.md describes the profiles.
 */
import { connect } from 'node:net';

export interface Dependency {
  name: string;
  port: number;
  /** Command that runs it in the foreground (so Ctrl-C stops it), if we may start it. */
  start?: string[];
  hint: string;
}

const redis: Dependency = {
  name: 'Redis',
  port: 6379,
  start: ['redis-server', '--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  hint: 'install it (apt-get install redis-server) or start it, or choose another profile: PROFILE=postgres npm start',
};
// Database servers keep data and need their own user and data directory:
// started by the machine (or by you), never by `npm start`.
const postgres: Dependency = {
  name: 'PostgreSQL',
  port: 5432,
  hint: 'start PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres and a database "test" (pg_ctlcluster 15 main start)',
};
const mysql: Dependency = {
  name: 'MySQL/MariaDB',
  port: 3306,
  hint: 'start MariaDB on 127.0.0.1:3306 (user root, empty password): start-stop-daemon --start --background --exec /usr/sbin/mariadbd',
};
const rabbitmq: Dependency = {
  name: 'RabbitMQ',
  port: 5672,
  hint: 'start RabbitMQ on 127.0.0.1:5672 (guest/guest): rabbitmq-server -detached',
};
const nats: Dependency = {
  name: 'NATS (JetStream)',
  port: 4222,
  start: ['nats-server', '-a', '127.0.0.1', '-p', '4222', '-js'],
  hint: 'install nats-server (apt-get install nats-server) and start it with -js on 127.0.0.1:4222',
};
const mqtt: Dependency = {
  name: 'Mosquitto (MQTT)',
  port: 1883,
  // Mosquitto 2 without a config file listens on the loopback only.
  start: ['mosquitto', '-p', '1883'],
  hint: 'install mosquitto (apt-get install mosquitto) and start it on 127.0.0.1:1883',
};

/** Per profile, in the order they are checked (and started). */
export const PROFILE_NEEDS: Record<string, Dependency[]> = {
  // State and both pub/subs on Redis (the default).
  redis: [redis],
  // state.postgresql v2; events and fanout on RabbitMQ.
  postgres: [postgres, rabbitmq],
  // state.sqlite (a file of the run folder); events and fanout on NATS JetStream.
  sqlite: [nats],
  // state.mysql; events on RabbitMQ, fanout on MQTT.
  mysql: [mysql, rabbitmq, mqtt],
};

/** Does something answer on 127.0.0.1:port (within a second)? */
export function reachable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
}
