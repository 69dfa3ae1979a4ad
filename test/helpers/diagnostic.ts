/** A line in the test report (TAP `#`), for what a run did differently on this machine. */
export function diagnostic(message: string): void {
  process.stdout.write(`# ${message}\n`);
}
