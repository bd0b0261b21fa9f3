import { checkHealth } from './health.js';

// `node dist/src/healthcheck.js [file]`: exit 0 when healthy, for Docker's HEALTHCHECK.
const file = process.argv[2] ?? process.env.HEALTH_FILE ?? './data/health.json';
const { healthy, reason } = checkHealth(file);
console.log(reason);
process.exit(healthy ? 0 : 1);
