// Province names from the two-digit codes that begin every area ("79/26734" is in province 79). Facts, as data:
// the 63 provinces and cities of the 2021 list (General Statistics Office codes, in force until 30 June 2025) and
// the 34 of the 2025 reorganisation (Resolution 202/2025/QH15, codes by Decision 19/2025/QĐ-TTg, from 1 July
// 2025). A merged province kept the code of the one whose seat it took, so a code can name a different
// province in each table (24 was Bắc Giang, is Bắc Ninh): the table must be the one the area codes were written in.

export type ProvinceTable = '2021' | '2025';
export const PROVINCE_TABLES: readonly ProvinceTable[] = ['2021', '2025'];

/** [code, name in Vietnamese, 'city' for a centrally-run city] */
type Row = readonly [code: string, name: string, kind?: 'city'];

const P2021: readonly Row[] = [
  ['01', 'Hà Nội', 'city'], ['02', 'Hà Giang'], ['04', 'Cao Bằng'], ['06', 'Bắc Kạn'], ['08', 'Tuyên Quang'], ['10', 'Lào Cai'],
  ['11', 'Điện Biên'], ['12', 'Lai Châu'], ['14', 'Sơn La'], ['15', 'Yên Bái'], ['17', 'Hòa Bình'], ['19', 'Thái Nguyên'],
  ['20', 'Lạng Sơn'], ['22', 'Quảng Ninh'], ['24', 'Bắc Giang'], ['25', 'Phú Thọ'], ['26', 'Vĩnh Phúc'], ['27', 'Bắc Ninh'],
  ['30', 'Hải Dương'], ['31', 'Hải Phòng', 'city'], ['33', 'Hưng Yên'], ['34', 'Thái Bình'], ['35', 'Hà Nam'], ['36', 'Nam Định'],
  ['37', 'Ninh Bình'], ['38', 'Thanh Hóa'], ['40', 'Nghệ An'], ['42', 'Hà Tĩnh'], ['44', 'Quảng Bình'], ['45', 'Quảng Trị'],
  ['46', 'Thừa Thiên Huế'], ['48', 'Đà Nẵng', 'city'], ['49', 'Quảng Nam'], ['51', 'Quảng Ngãi'], ['52', 'Bình Định'], ['54', 'Phú Yên'],
  ['56', 'Khánh Hòa'], ['58', 'Ninh Thuận'], ['60', 'Bình Thuận'], ['62', 'Kon Tum'], ['64', 'Gia Lai'], ['66', 'Đắk Lắk'],
  ['67', 'Đắk Nông'], ['68', 'Lâm Đồng'], ['70', 'Bình Phước'], ['72', 'Tây Ninh'], ['74', 'Bình Dương'], ['75', 'Đồng Nai'],
  ['77', 'Bà Rịa - Vũng Tàu'], ['79', 'Hồ Chí Minh', 'city'], ['80', 'Long An'], ['82', 'Tiền Giang'], ['83', 'Bến Tre'], ['84', 'Trà Vinh'],
  ['86', 'Vĩnh Long'], ['87', 'Đồng Tháp'], ['89', 'An Giang'], ['91', 'Kiên Giang'], ['92', 'Cần Thơ', 'city'], ['93', 'Hậu Giang'],
  ['94', 'Sóc Trăng'], ['95', 'Bạc Liêu'], ['96', 'Cà Mau'],
];

const P2025: readonly Row[] = [
  ['01', 'Hà Nội', 'city'], ['04', 'Cao Bằng'], ['08', 'Tuyên Quang'], ['11', 'Điện Biên'], ['12', 'Lai Châu'], ['14', 'Sơn La'],
  ['15', 'Lào Cai'], ['19', 'Thái Nguyên'], ['20', 'Lạng Sơn'], ['22', 'Quảng Ninh'], ['24', 'Bắc Ninh'], ['25', 'Phú Thọ'],
  ['31', 'Hải Phòng', 'city'], ['33', 'Hưng Yên'], ['37', 'Ninh Bình'], ['38', 'Thanh Hóa'], ['40', 'Nghệ An'], ['42', 'Hà Tĩnh'],
  ['44', 'Quảng Trị'], ['46', 'Huế', 'city'], ['48', 'Đà Nẵng', 'city'], ['51', 'Quảng Ngãi'], ['52', 'Gia Lai'], ['56', 'Khánh Hòa'],
  ['66', 'Đắk Lắk'], ['68', 'Lâm Đồng'], ['75', 'Đồng Nai'], ['79', 'Hồ Chí Minh', 'city'], ['80', 'Tây Ninh'], ['82', 'Đồng Tháp'],
  ['86', 'Vĩnh Long'], ['91', 'An Giang'], ['92', 'Cần Thơ', 'city'], ['96', 'Cà Mau'],
];

const ROWS: Record<ProvinceTable, readonly Row[]> = { '2021': P2021, '2025': P2025 };

export interface ProvinceName { vi: string; en: string }

/** Latin letters without Vietnamese marks, for the English name: "Đắk Lắk" → "Dak Lak". */
const plain = (s: string): string => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');

/** Every code of a table with its names: "TP. Hồ Chí Minh" / "Ho Chi Minh City", "Bình Dương" / "Binh Duong". */
export function provinceNames(table: ProvinceTable): Readonly<Record<string, ProvinceName>> {
  const rows = ROWS[table];
  if (!rows) throw new Error(`no province table ${JSON.stringify(table)}: use "2021" or "2025"`);
  return (cache[table] ??= Object.freeze(Object.fromEntries(rows.map(([code, name, kind]) => [code, kind === 'city'
    ? { vi: `TP. ${name}`, en: `${plain(name)} City` }
    : { vi: name, en: plain(name) }]))));
}
const cache: Partial<Record<ProvinceTable, Readonly<Record<string, ProvinceName>>>> = {};

/** The names of the province an area belongs to ("79/26734" → Hồ Chí Minh), or undefined for a code not in the table. */
export function provinceOf(table: ProvinceTable, area: string): ProvinceName | undefined {
  return provinceNames(table)[area.slice(0, 2)];
}
