/** UTF-16 code units the topic layer looks at; topics are scanned with charCodeAt, not regexes. */
export const Char = {
  Nul: 0x00,
  Hash: 0x23, // '#': multi-level wildcard
  Dollar: 0x24, // '$': server-internal topics such as $SYS
  Plus: 0x2b, // '+': single-level wildcard
  Slash: 0x2f, // '/': level separator
} as const;

/** Topic names and filters are UTF-8 strings with a 16-bit length prefix [MQTT-4.7.3-3]. */
export const MAX_TOPIC_BYTES = 65_535;
