/**
 * What was wrong with a request, in no channel's words. Code that reads, validates or looks up
 * what a request names throws these; each channel answers them in its own terms, in one place:
 * the marketplace with a resultCode (http/signedCall.ts), the sign-in pages with a refusal page or
 * its JSON (http/ssoRouter.ts), the bearer APIs with a JSON problem (http/problems.ts).
 */

/** Input the sender must change; the message names the field first ("userList[3].userName: must be …"). */
export class BadInput extends Error {}

/** A body larger than the address takes. */
export class TooLarge extends BadInput {}

/** The request carries no valid credential for the address. */
export class Unauthorized extends Error {}

/** What the request names is not there (a tenant, an instance, a held sync). */
export class NotFound extends Error {}

/** What the request names was there, but what it asks for is no longer kept. */
export class Gone extends Error {}

/** What the request asks for cannot be done in the state the thing is in (a delivery in flight). */
export class Conflict extends Error {}
