// One entry for whatever the scanner read: our passes (VN1:), EU DCCs (HC1:), and anything else is red.
import { DCC_PREFIX, verifyDcc, type DccRules } from './dcc.js';
import type { TrustEntry } from './trust-list.js';
import { red, verifyPass, type Verdict, type VerifyContext } from './verdict.js';
import { PASS_PREFIX } from './pass.js';

export interface ScanContext extends VerifyContext {
  /** Acceptance rules for EU DCCs; null for none (only the EU checks decide); default: Viet Nam's. */
  dccRules?: DccRules | null;
  /** DSCs trusted directly, beside the trust list (conformance testing). */
  extraDsc?: TrustEntry[];
}

export function verifyQr(text: string, ctx: ScanContext): Verdict {
  if (typeof text === 'string' && text.startsWith(DCC_PREFIX)) {
    return verifyDcc(text, { trust: ctx.trust, status: ctx.status, now: ctx.now, rules: ctx.dccRules, extraDsc: ctx.extraDsc, skewSeconds: ctx.skewSeconds, checkTime: ctx.checkTime });
  }
  if (typeof text === 'string' && text.startsWith(PASS_PREFIX)) return verifyPass(text, ctx);
  const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, 24)) : typeof text;
  return red('unsupported-format', 'unknown', `${shown} is neither a chot pass (${PASS_PREFIX}) nor an EU DCC (${DCC_PREFIX})`);
}
