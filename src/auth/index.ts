// The auth adapters: what src/server.ts and the CLI use.
export { AclFileAuthorizer, type AclFileOptions, type AclRule, parseAclFile } from './acl-file.js';
export { filterCovers, substituteIdentity } from './acl-match.js';
export {
  type Auth,
  AuthChain,
  type AuthChainOptions,
  type AuthConfig,
  AuthorizerChain,
  type AuthorizerChainOptions,
  createAuth,
} from './chain.js';
export type {
  AccessAction,
  AccessDenial,
  AccessVerdict,
  AuthFailure,
  DecidingAuthorizer,
  Decision,
  DenialLogger,
} from './decision.js';
export {
  type AclRow,
  type Credentials,
  DatabaseAuthenticator,
  DatabaseAuthorizer,
  type DatabaseSource,
} from './database.js';
export { LdapAuthenticator } from './ldap.js';
export { LdapGroupAuthorizer } from './ldap-acl.js';
export { type LookupOptions, type OnError, SourceStats } from './lookup.js';
export { PostgresSource } from './postgres.js';
export { RedisSource } from './redis.js';
export {
  HttpAuthenticator,
  HttpAuthorizer,
  HttpHook,
  type HttpHookOptions,
  type HttpHookRequest,
} from './http-hook.js';
export {
  JwtAuthenticator,
  JwtClaimAuthorizer,
  type JwtClaimOptions,
  type JwtOptions,
} from './jwt.js';
export { AuthConfigError, type FactoryContext } from './options.js';
export { type PasswdArgs, runPasswd } from './passwd.js';
export {
  hashPassword,
  PasswordFileAuthenticator,
  parsePasswordFile,
  serializePasswordFile,
  verifyPassword,
} from './password-file.js';
export {
  deriveScramCredential,
  type ScramCredential,
  ScramSha256Authenticator,
} from './scram.js';
