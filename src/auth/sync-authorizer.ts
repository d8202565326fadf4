// An authorizer whose every answer is synchronous (its rules are at hand: in a JWT claim, in
// the LDAP groups of the CONNECT): the DecidingAuthorizer and port methods from one function.
import type { Authorizer, ClientInfo, MessageRecord } from '../broker/ports.js';
import {
  type AccessAction,
  type AccessVerdict,
  type DecidingAuthorizer,
  type DenialLogger,
  describeClient,
  settle,
} from './decision.js';

export abstract class SyncAuthorizer implements Authorizer, DecidingAuthorizer {
  abstract readonly source: string;
  /** What an abstention on a delivered message means when this authorizer stands alone. */
  protected readNoMatch: 'allow' | 'deny' = 'deny';

  constructor(private readonly denialLog?: DenialLogger) {}

  protected abstract decideAccess(
    client: ClientInfo,
    action: AccessAction,
    topic: string,
  ): AccessVerdict;

  decide(client: ClientInfo, action: 'publish' | 'subscribe', topic: string): AccessVerdict {
    return this.decideAccess(client, action, topic);
  }

  decideRead(client: ClientInfo, topic: string): AccessVerdict {
    return this.decideAccess(client, 'read', topic);
  }

  authorizePublish(client: ClientInfo, topic: string, _message?: MessageRecord): boolean {
    return this.settle(client, 'publish', topic);
  }

  authorizeSubscribe(client: ClientInfo, topicFilter: string): boolean {
    return this.settle(client, 'subscribe', topicFilter);
  }

  authorizeRead(client: ClientInfo, topic: string): boolean {
    return this.settle(client, 'read', topic);
  }

  private settle(client: ClientInfo, action: AccessAction, topic: string): boolean {
    const denial = { ...describeClient(client), action, topic, source: this.source };
    const noMatch = action === 'read' ? this.readNoMatch : 'deny';
    return settle(this.decideAccess(client, action, topic), noMatch, denial, this.denialLog);
  }
}
