import { BadInput } from '../errors.js';

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

/** The refusal a failed call is answered with: the marketplace's own keep their code, bad input is 000002; undefined for a fault (000005). */
export function refusalOf(err: unknown): MarketplaceError | undefined {
  if (err instanceof MarketplaceError) return err;
  if (err instanceof BadInput) return invalidParam(err.message);
  return undefined;
}

/** resultMsg is String(255) in the contract. */
export function resultMsg(message: string): string {
  return message.length <= 255 ? message : `${message.slice(0, 252)}...`;
}
