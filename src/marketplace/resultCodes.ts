/** Result codes of spec §2.1 that koobridge answers with. */
export const ResultCode = {
  success: '000000',
  authFailed: '000001',
  invalidParam: '000002',
  instanceNotFound: '000003',
  processing: '000004',
  internalError: '000005',
} as const;

export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

/** A refusal that is answered to the marketplace as HTTP 200 with this resultCode. */
export class MarketplaceError extends Error {
  constructor(
    readonly resultCode: ResultCodeValue,
    message: string,
  ) {
    super(message);
  }
}

export const invalidParam = (message: string) => new MarketplaceError(ResultCode.invalidParam, message);
export const authFailed = (message: string) => new MarketplaceError(ResultCode.authFailed, message);

/** resultMsg is String(255) in the contract. */
export function resultMsg(message: string): string {
  return message.length <= 255 ? message : `${message.slice(0, 252)}...`;
}
