// Headless Chromium for the browser tests and the admin benchmark (Debian's `chromium`).

export const CHROMIUM = '/usr/bin/chromium';

/** A quiet browser on loopback: no sandbox (root in CI), no GPU, no QUIC, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
