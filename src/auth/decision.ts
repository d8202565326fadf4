// What the auth adapters share beyond the ports: failures that say whether the authenticator
// knew the credentials, and authorization verdicts that may abstain, so that chains can combine
// several sources the way operators expect (see chain.ts).
import type { AuthResult, ClientInfo, MessageRecord } from '../broker/ports.js';
import { ReasonCode } from '../protocol/constants.js';

/**
 * A refusal from one authenticator. `recognized` is true when the credentials were meant for
 * it (a known user with a wrong password, a token with a bad signature), false when it simply
 * had nothing to say (unknown user, no token): a chain reports recognized failures first.
 */
export type AuthFailure = Extract<AuthResult, { ok: false }> & {
  recognized?: boolean;
  /** Ends the chain: no later authenticator is asked (a source down with onError 'deny'). */
  final?: boolean;
};

export function refuse(reasonCode: number, reasonString: string, recognized: boolean): AuthFailure {
  return { ok: false, reasonCode, reasonString, recognized };
}

/** The common refusal: wrong or unknown user name or password (0x86). */
export function badCredentials(reasonString: string, recognized: boolean): AuthFailure {
  return refuse(ReasonCode.BadUserNameOrPassword, reasonString, recognized);
}

/** 'read' is the check on every message delivered to a subscriber (retained ones too). */
export type AccessAction = 'publish' | 'subscribe' | 'read';

/** 'ignore': this source has no rule for the request and leaves it to the others. */
export type Decision = 'allow' | 'deny' | 'ignore';

export interface AccessVerdict {
  decision: Decision;
  /** The rule that decided, for the log: "acl.conf:12 topic read a/+". */
  rule?: string;
}

export const IGNORE: AccessVerdict = Object.freeze({ decision: 'ignore' });

/**
 * An authorizer that can abstain. Every authorizer in src/auth implements this next to the
 * boolean Authorizer port; AuthorizerChain uses it to combine sources.
 */
export interface DecidingAuthorizer {
  /** Names the source in logs: "acl-file", "jwt", "http". */
  readonly source: string;
  decide(
    client: ClientInfo,
    action: 'publish' | 'subscribe',
    topic: string,
    message?: MessageRecord,
  ): AccessVerdict | Promise<AccessVerdict>;
  /** Synchronous: it runs for every delivered message. */
  decideRead(client: ClientInfo, topic: string): AccessVerdict;
}

/** One refused access, for the operator's log. */
export interface AccessDenial {
  clientId: string;
  username?: string;
  action: AccessAction;
  topic: string;
  source: string;
  rule?: string;
}

export type DenialLogger = (denial: AccessDenial) => void;

/**
 * Turns a verdict into the port's boolean. An abstention counts as `noMatch` (deny unless the
 * operator said otherwise), and every refusal is reported to `log`.
 */
export function settle(
  verdict: AccessVerdict,
  noMatch: 'allow' | 'deny',
  denial: Omit<AccessDenial, 'rule'>,
  log: DenialLogger | undefined,
): boolean {
  const decision = verdict.decision === 'ignore' ? noMatch : verdict.decision;
  if (decision === 'allow') return true;
  log?.({ ...denial, rule: verdict.rule ?? `no ${denial.source} rule matched` });
  return false;
}

export function describeClient(client: ClientInfo) {
  return { clientId: client.clientId, username: client.username };
}
