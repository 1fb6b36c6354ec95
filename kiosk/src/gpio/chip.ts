// Where the Pi's GPIO header lives in the kernel's numbering. Since kernel 6.6 (Raspberry Pi OS Bookworm) and
// on the Pi 5, sysfs GPIO numbers no longer start at 0 (bases 512 and 571 have been seen), so BCM 17 is not
// gpio17. The base is read from /sys/class/gpio/gpiochip*/{label,base,ngpio}, and configuration stays in BCM.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GpioChip { dir: string; label: string; base: number; ngpio: number }

/** The header's controller labels: Pi 5 (RP1), Pi 4 (BCM2711), Pi 3 and earlier (BCM2835). */
export const HEADER_LABELS = [/^pinctrl-rp1$/, /^pinctrl-bcm2712$/, /^pinctrl-bcm2711$/, /^pinctrl-bcm2835$/, /^raspberrypi-exp-gpio$/];

export function listChips(sysfs = '/sys/class/gpio'): GpioChip[] {
  if (!existsSync(sysfs)) return [];
  return readdirSync(sysfs).filter((d) => d.startsWith('gpiochip')).map((d) => {
    const dir = join(sysfs, d);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8').trim();
    return { dir, label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) };
  }).filter((c) => Number.isInteger(c.base) && Number.isInteger(c.ngpio));
}

/**
 * Finds the chip that drives the 40-pin header. `label` from configuration wins; otherwise the known
 * Raspberry Pi controllers, in order. Throws a one-line error that says what to do.
 */
export function headerChip(sysfs = '/sys/class/gpio', label?: string): GpioChip {
  const chips = listChips(sysfs);
  if (!chips.length) throw new Error(`no GPIO chips under ${sysfs}: sysfs GPIO is absent on this kernel (built without CONFIG_GPIO_SYSFS); use Raspberry Pi OS's stock kernel, which has it, or gpio.driver "sim" to run without lamps`);
  if (label) {
    const c = chips.find((x) => x.label === label);
    if (!c) throw new Error(`gpio.chipLabel ${JSON.stringify(label)} not found; chips here: ${chips.map((x) => `${x.label}@${x.base}`).join(', ')}`);
    return c;
  }
  for (const re of HEADER_LABELS) {
    const c = chips.find((x) => re.test(x.label) && x.ngpio >= 28);
    if (c) return c;
  }
  throw new Error(`no Raspberry Pi GPIO controller among ${chips.map((x) => `${x.label}@${x.base}`).join(', ')}: set gpio.chipLabel to the header's chip`);
}

export function sysfsNumber(chip: GpioChip, bcm: number): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) throw new Error(`BCM pin ${bcm} is outside ${chip.label} (0–${chip.ngpio - 1})`);
  return chip.base + bcm;
}
