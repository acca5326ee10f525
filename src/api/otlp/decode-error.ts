/** A body that cannot be decoded as the OTLP message its path expects (400, `google.rpc.Status` code 3). */
export class OtlpDecodeError extends Error {}
