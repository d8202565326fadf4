// Waiting on a connection's input without polling: whoever waits names the condition, the
// input and close handlers call wake(), and the wait ends when the condition holds or the
// time is up. Shared by `culex check` and the raw client of test/conformance.
export class InputWaiter {
  private waiter: (() => void) | undefined;

  /** Re-checks the pending condition; call on every input and on close. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Resolves true once `ready()` holds, or with `ready()` after `timeoutMs`. */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(ready());
      }, timeoutMs);
      const check = () => {
        if (ready()) {
          clearTimeout(timer);
          resolve(true);
        } else this.waiter = check;
      };
      this.waiter = check;
    });
  }
}
