// Province names from area codes, and words for every verdict reason: what the officer and operators read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROVINCE_TABLES, REASONS, REASON_WORDS, provinceNames, provinceOf, type ProvinceTable } from '../src/index.js';

test('the 2021 table has the 63 provinces and cities, the 2025 table the 34, each with a unique two-digit code', () => {
  const n2021 = provinceNames('2021'), n2025 = provinceNames('2025');
  assert.is(Object.keys(n2021).length, 63);
  assert.is(Object.keys(n2025).length, 34);
  for (const t of PROVINCE_TABLES) for (const code of Object.keys(provinceNames(t))) assert.match(code, /^\d{2}$/, `${t}: ${code}`);
  // six centrally-run cities in each
  for (const t of PROVINCE_TABLES) assert.is(Object.values(provinceNames(t)).filter((p) => p.vi.startsWith('TP. ')).length, t === '2021' ? 5 : 6, t);
  // each merged province kept the code of one of the provinces it was made from
  for (const code of Object.keys(n2025)) assert.ok(n2021[code], `2025 code ${code} is a 2021 code too`);
});

test('a code names the province of its own table: 24 and 80 changed meaning in 2025, 74 ended', () => {
  assert.equal(provinceOf('2021', '79/26734'), { vi: 'TP. Hồ Chí Minh', en: 'Ho Chi Minh City' });
  assert.equal(provinceOf('2025', '79/26734'), { vi: 'TP. Hồ Chí Minh', en: 'Ho Chi Minh City' });
  assert.is(provinceOf('2021', '24')?.vi, 'Bắc Giang');
  assert.is(provinceOf('2025', '24')?.vi, 'Bắc Ninh');
  assert.is(provinceOf('2021', '80')?.vi, 'Long An');
  assert.is(provinceOf('2025', '80')?.vi, 'Tây Ninh');
  assert.is(provinceOf('2021', '74/25747')?.en, 'Binh Duong');
  assert.is(provinceOf('2025', '74/25747'), undefined);
  assert.is(provinceOf('2021', '66')?.en, 'Dak Lak');
  assert.is(provinceOf('2025', '46')?.vi, 'TP. Huế');
  assert.is(provinceOf('2021', 'VN'), undefined);
  assert.throws(() => provinceNames('2019' as ProvinceTable), /no province table "2019": use "2021" or "2025"/);
});

test('English names are plain Latin letters', () => {
  for (const t of PROVINCE_TABLES) for (const p of Object.values(provinceNames(t))) assert.match(p.en, /^[A-Za-z .-]+$/, p.en);
});

test('every reason a scan can carry has short words in Vietnamese and English, never the code itself', () => {
  const codes = [...Object.keys(REASONS), 'override'];
  assert.equal(Object.keys(REASON_WORDS).sort(), codes.sort());
  for (const [code, [vi, en]] of Object.entries(REASON_WORDS) as Array<[string, readonly [string, string]]>) {
    assert.ok(vi && en && vi !== en, code);
    assert.ok(!vi.includes(code) && !en.includes(code), `${code}: words, not the code`);
    assert.ok(vi.length <= 32 && en.length <= 32, `${code}: short enough for a list row`);
  }
});

test.run();
