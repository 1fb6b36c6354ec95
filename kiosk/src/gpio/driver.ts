// GPIO behind a small interface, so the signal logic runs the same on a Pi (onoff) and in tests (sim).
// Pins are BCM numbers; each driver maps them to whatever the kernel numbers them.

export interface OutputPin {
  /** Logical on/off; the driver applies active-low. */
  write(on: boolean): void;
  read(): boolean;
}

export interface InputPin {
  read(): boolean;
}

/**
 * The most a driver asks the kernel (or onoff) to debounce a line. Theirs holds an edge back until the line has been
 * steady that long, which filters a contact's bounce but also swallows a pulse shorter than it: someone crossing a
 * light beam in 200 ms would vanish under a 300 ms passage debounce. So the kernel takes at most this, and the rest
 * of debounceMs is a lockout after each press, counted by the driver.
 */
export const LINE_DEBOUNCE_MAX_MS = 50;

export interface GpioDriver {
  readonly name: string;
  /** A one-line description for status and doctor: "onoff, gpiochip pinctrl-rp1 base 571". */
  describe(): string;
  output(bcm: number, activeLow: boolean): OutputPin;
  /** Calls onPress when the line turns active (logical on); another within debounceMs of a press is that press. */
  input(bcm: number, activeLow: boolean, debounceMs: number, onPress: () => void): InputPin;
  close(): void;
}
