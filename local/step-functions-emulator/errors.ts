/** An error as Step Functions answers it on the AWS JSON 1.0 wire: `{"__type","message"}`, 400 unless said. */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
