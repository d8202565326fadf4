// JetStream answers "no leader" or times out for a few seconds while a NATS server of the
// cluster is lost and its streams elect new leaders. A CONNECT should wait that out rather
// than be refused: retry, with a pause, until a deadline.

const PAUSE_MS = 250;

export async function retrying<T>(attempt: () => Promise<T>, deadlineMs: number): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() + PAUSE_MS > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  }
}
