// The operations layer: HTTP API, metrics, trace and dashboard over the broker's admin facade.
export type { ListenerView } from './api-system.js';
export {
  type ApiKeyEntry,
  type DashboardUser,
  generateApiKey,
  hashApiKey,
  hashPassword,
  readKeyFile,
  verifyPassword,
} from './auth.js';
export { type AdminHttpOptions, AdminServer, startAdmin } from './server.js';
