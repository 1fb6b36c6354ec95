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

export interface GpioDriver {
  readonly name: string;
  /** A one-line description for status and doctor: "onoff, gpiochip pinctrl-rp1 base 571". */
  describe(): string;
  output(bcm: number, activeLow: boolean): OutputPin;
  /** Calls onPress on a debounced press (logical on). */
  input(bcm: number, activeLow: boolean, debounceMs: number, onPress: () => void): InputPin;
  close(): void;
}
