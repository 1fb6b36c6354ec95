// Verdict reasons and what the traveller reads at the booth: Vietnamese first, English too.

export const REASONS = {
  'ok': ['Hợp lệ. Mời qua.', 'Valid. Please pass.'],
  'unsupported-format': ['Mã này không phải giấy đi đường hay chứng nhận y tế.', 'This code is not a travel pass or health certificate.'],
  'malformed': ['Mã bị hỏng hoặc không đọc được. Hãy mở lại mã gốc.', 'The code is damaged or unreadable. Show the original code again.'],
  'unknown-key': ['Mã do nơi không được công nhận cấp.', 'The code was issued by an authority that is not recognised.'],
  'bad-signature': ['Chữ ký số không hợp lệ: mã có thể bị giả mạo.', 'The digital signature is invalid: the code may be forged.'],
  'issuer-not-allowed': ['Nơi cấp không có thẩm quyền cấp loại giấy này cho khu vực này.', 'The issuer may not issue this kind of pass for this area.'],
  'key-not-valid': ['Khóa ký của nơi cấp không có hiệu lực vào ngày cấp giấy.', "The issuer's signing key was not valid on the day the pass was issued."],
  'not-yet-valid': ['Giấy chưa đến ngày có hiệu lực.', 'The pass is not valid yet.'],
  'expired': ['Giấy đã hết hạn.', 'The pass has expired.'],
  'outside-hours': ['Ngoài khung giờ được phép đi lại.', 'Outside the hours the pass allows.'],
  'wrong-area': ['Giấy không có giá trị tại chốt này.', 'The pass is not valid at this checkpoint.'],
  'category-refused': ['Chốt này không chấp nhận loại giấy này.', 'This checkpoint does not accept this kind of pass.'],
  'revoked': ['Giấy đã bị thu hồi.', 'The pass has been revoked.'],
  'health-status': ['Người mang giấy đang thuộc diện F0/F1: liên hệ cán bộ y tế.', 'The holder is currently F0/F1: please see the health officer.'],
  'declaration-stale': ['Khai báo y tế đã quá hạn. Hãy khai báo lại.', 'The health declaration is too old. Please declare again.'],
  'key-usage': ['Nơi cấp không được phép cấp loại chứng nhận này.', 'The issuer may not sign this kind of certificate.'],
  'unsupported-algorithm': ['Mã được ký bằng loại khóa máy chưa hỗ trợ: cán bộ kiểm tra thủ công.', 'The code is signed with a kind of key this kiosk does not support: the officer checks by hand.'],
  'rule-failed': ['Chứng nhận không đáp ứng quy định tại chốt này.', 'The certificate does not meet the rules at this checkpoint.'],
  'clock-unsynced': ['Đồng hồ của máy chưa đồng bộ: cán bộ kiểm tra thủ công.', 'The kiosk clock is not synchronised: the officer checks by hand.'],
  // a gate with a passage sensor (kiosk gate.passage): records of their own, never the verdict of a pass
  'no-passage': ['Không có người qua cổng sau lượt hợp lệ: lượt quét bị hủy.', 'Nobody passed the gate after the valid scan: the scan is cancelled.'],
  'tailgate': ['Có người qua cổng mà không có lượt hợp lệ: dừng lại, gặp cán bộ.', 'Someone passed the gate without a valid scan: stop and see the officer.'],
} as const satisfies Record<string, readonly [string, string]>;

/** The reasons of the passage records a gate with a passage sensor writes: 'no-passage' annuls a green (or an
 *  override) nobody passed after, within gate.passage.waitMs; 'tailgate' is a passage no green was waiting for. */
export const PASSAGE_REASONS = ['no-passage', 'tailgate'] as const;
export type PassageReason = typeof PASSAGE_REASONS[number];

export type Reason = keyof typeof REASONS;

export function messageFor(reason: Reason): { vi: string; en: string } {
  const [vi, en] = REASONS[reason];
  return { vi, en };
}

/** Short words for a reason where a sentence does not fit: the officer's last scans, the operators' dashboard.
 *  [Vietnamese, English]. 'override' is the officer opening the gate by hand (a record's reason, not a verdict's). */
export const REASON_WORDS = {
  'ok': ['Hợp lệ', 'Valid'],
  'override': ['Cán bộ mở cổng', 'Opened by the officer'],
  'unsupported-format': ['Không phải giấy đi đường', 'Not a pass'],
  'malformed': ['Mã hỏng', 'Damaged code'],
  'unknown-key': ['Nơi cấp không được công nhận', 'Issuer not recognised'],
  'bad-signature': ['Chữ ký sai, có thể giả', 'Bad signature, maybe forged'],
  'issuer-not-allowed': ['Nơi cấp không có thẩm quyền', 'Issuer not allowed'],
  'key-not-valid': ['Khóa ký ngoài thời hạn', 'Issuer key out of its dates'],
  'not-yet-valid': ['Chưa có hiệu lực', 'Not valid yet'],
  'expired': ['Hết hạn', 'Expired'],
  'outside-hours': ['Ngoài khung giờ', 'Outside its hours'],
  'wrong-area': ['Sai địa bàn', 'Wrong area'],
  'category-refused': ['Loại giấy không được nhận', 'Kind of pass not accepted'],
  'revoked': ['Đã thu hồi', 'Revoked'],
  'health-status': ['F0/F1: gặp cán bộ y tế', 'F0/F1: see the health officer'],
  'declaration-stale': ['Khai báo y tế quá hạn', 'Health declaration too old'],
  'key-usage': ['Nơi cấp không được ký loại này', 'Issuer may not sign this'],
  'unsupported-algorithm': ['Loại khóa chưa hỗ trợ', 'Key type not supported'],
  'rule-failed': ['Không đạt quy định', 'Fails the rules here'],
  'clock-unsynced': ['Đồng hồ chưa đồng bộ', 'Clock not synchronised'],
  'no-passage': ['Không qua cổng: hủy lượt', 'Did not pass: scan cancelled'],
  'tailgate': ['Qua cổng không có lượt hợp lệ', 'Passed with no valid scan'],
} as const satisfies Record<Reason | 'override', readonly [string, string]>;
