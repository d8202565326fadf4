export { topicMatches } from './match.js';
export { parseSharedFilter, QUEUE_GROUP, type SharedFilter } from './shared.js';
export { SubscriptionIndex, type SubscriptionIndexOptions } from './subscription-index.js';
export { type TopicLimits, validateTopicFilter, validateTopicName } from './validate.js';
