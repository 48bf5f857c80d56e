// The one failure type of destination resolution: its message is the whole line generate prints.

/** An Application's destination could not be turned into a cluster client; the message names the Application and the cluster. */
export class DestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationError';
  }
}
