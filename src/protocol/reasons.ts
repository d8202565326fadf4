// Which reason codes each 5.0 packet may carry (section 2.4 and each packet's Reason Code
// table), and the map between 5.0 CONNACK reason codes and 3.1.1 return codes.
import { ConnectReturnCode, ReasonCode as R } from './constants.js';

const set = (...codes: number[]): ReadonlySet<number> => new Set(codes);

export const CONNACK_CODES = set(
  R.Success,
  R.UnspecifiedError,
  R.MalformedPacket,
  R.ProtocolError,
  R.ImplementationSpecificError,
  R.UnsupportedProtocolVersion,
  R.ClientIdentifierNotValid,
  R.BadUserNameOrPassword,
  R.NotAuthorized,
  R.ServerUnavailable,
  R.ServerBusy,
  R.Banned,
  R.BadAuthenticationMethod,
  R.TopicNameInvalid,
  R.PacketTooLarge,
  R.QuotaExceeded,
  R.PayloadFormatInvalid,
  R.RetainNotSupported,
  R.QoSNotSupported,
  R.UseAnotherServer,
  R.ServerMoved,
  R.ConnectionRateExceeded,
);

/** PUBACK and PUBREC (3.4.2.1, 3.5.2.1). */
export const PUBACK_CODES = set(
  R.Success,
  R.NoMatchingSubscribers,
  R.UnspecifiedError,
  R.ImplementationSpecificError,
  R.NotAuthorized,
  R.TopicNameInvalid,
  R.PacketIdentifierInUse,
  R.QuotaExceeded,
  R.PayloadFormatInvalid,
);

/** PUBREL and PUBCOMP (3.6.2.1, 3.7.2.1). */
export const PUBREL_CODES = set(R.Success, R.PacketIdentifierNotFound);

export const SUBACK_CODES = set(
  R.GrantedQoS0,
  R.GrantedQoS1,
  R.GrantedQoS2,
  R.UnspecifiedError,
  R.ImplementationSpecificError,
  R.NotAuthorized,
  R.TopicFilterInvalid,
  R.PacketIdentifierInUse,
  R.QuotaExceeded,
  R.SharedSubscriptionsNotSupported,
  R.SubscriptionIdentifiersNotSupported,
  R.WildcardSubscriptionsNotSupported,
);

/** 3.1.1 SUBACK return codes (3.9.3): granted QoS or Failure, the value of 5.0's 0x80. */
export const SUBACK_CODES_V311 = set(
  R.GrantedQoS0,
  R.GrantedQoS1,
  R.GrantedQoS2,
  R.UnspecifiedError,
);

export const UNSUBACK_CODES = set(
  R.Success,
  R.NoSubscriptionExisted,
  R.UnspecifiedError,
  R.ImplementationSpecificError,
  R.NotAuthorized,
  R.TopicFilterInvalid,
  R.PacketIdentifierInUse,
);

export const DISCONNECT_CODES = set(
  R.NormalDisconnection,
  R.DisconnectWithWillMessage,
  R.UnspecifiedError,
  R.MalformedPacket,
  R.ProtocolError,
  R.ImplementationSpecificError,
  R.NotAuthorized,
  R.ServerBusy,
  R.ServerShuttingDown,
  R.KeepAliveTimeout,
  R.SessionTakenOver,
  R.TopicFilterInvalid,
  R.TopicNameInvalid,
  R.ReceiveMaximumExceeded,
  R.TopicAliasInvalid,
  R.PacketTooLarge,
  R.MessageRateTooHigh,
  R.QuotaExceeded,
  R.AdministrativeAction,
  R.PayloadFormatInvalid,
  R.RetainNotSupported,
  R.QoSNotSupported,
  R.UseAnotherServer,
  R.ServerMoved,
  R.SharedSubscriptionsNotSupported,
  R.ConnectionRateExceeded,
  R.MaximumConnectTime,
  R.SubscriptionIdentifiersNotSupported,
  R.WildcardSubscriptionsNotSupported,
);

export const AUTH_CODES = set(R.Success, R.ContinueAuthentication, R.ReAuthenticate);

/**
 * 5.0 CONNACK reason code → 3.1.1 return code (3.2.2.3). Codes with a direct 3.1.1 meaning
 * map to it; authorization refusals (Not authorized, Banned, Bad authentication method)
 * become 5 Not authorized; every other failure becomes 3 Server unavailable, the only
 * generic refusal 3.1.1 has.
 */
export function toConnectReturnCode(reasonCode: number): ConnectReturnCode {
  switch (reasonCode) {
    case R.Success:
      return ConnectReturnCode.Accepted;
    case R.UnsupportedProtocolVersion:
      return ConnectReturnCode.UnacceptableProtocolVersion;
    case R.ClientIdentifierNotValid:
      return ConnectReturnCode.IdentifierRejected;
    case R.BadUserNameOrPassword:
      return ConnectReturnCode.BadUserNameOrPassword;
    case R.NotAuthorized:
    case R.Banned:
    case R.BadAuthenticationMethod:
      return ConnectReturnCode.NotAuthorized;
    default:
      return ConnectReturnCode.ServerUnavailable;
  }
}

const FROM_RETURN_CODE: readonly number[] = [
  R.Success,
  R.UnsupportedProtocolVersion,
  R.ClientIdentifierNotValid,
  R.ServerUnavailable,
  R.BadUserNameOrPassword,
  R.NotAuthorized,
];

/** 3.1.1 return code → 5.0 reason code; undefined for the reserved values 6–255. */
export const fromConnectReturnCode = (code: number): number | undefined => FROM_RETURN_CODE[code];
