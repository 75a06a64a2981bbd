/**
 * What each component profile needs running on this machine, and how
 * `npm start` can start it when it is installed but not running.
 */
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
const postgres: Dependency = { name: 'PostgreSQL', port: 5432, hint: 'start PostgreSQL on 127.0.0.1:5432 (trust auth for user postgres)' };
const mysql: Dependency = { name: 'MySQL/MariaDB', port: 3306, hint: 'start MariaDB on 127.0.0.1:3306 (root, empty password)' };
const rabbitmq: Dependency = { name: 'RabbitMQ', port: 5672, hint: 'start RabbitMQ on 127.0.0.1:5672 (guest/guest): rabbitmq-server -detached' };
const nats: Dependency = {
  name: 'NATS (JetStream)',
  port: 4222,
  start: ['nats-server', '-a', '127.0.0.1', '-p', '4222', '-js'],
  hint: 'start nats-server with -js on 127.0.0.1:4222',
};
const mqtt: Dependency = {
  name: 'Mosquitto (MQTT)',
  port: 1883,
  start: ['mosquitto', '-p', '1883'],
  hint: 'start mosquitto on 127.0.0.1:1883',
};

export const PROFILE_NEEDS: Record<string, Dependency[]> = {
  redis: [redis],
  postgres: [postgres, redis],
  mysql: [mysql, redis],
  sqlite: [redis],
  rabbitmq: [redis, rabbitmq],
  jetstream: [redis, nats],
  mqtt: [redis, mqtt],
};
