// One client's topic ids (MQTT-SN 6.5): the names it or the gateway registered, both ways,
// bounded. Ids 0x0000 and 0xFFFF are reserved (5.3.11).

export class TopicRegistry {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private next = 1;

  constructor(private readonly max: number) {}

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  nameOf(id: number): string | undefined {
    return this.names.get(id);
  }

  /** The id of `name`, registered now if new; undefined when the registry is full. */
  register(name: string): number | undefined {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (this.ids.size >= this.max || this.next >= 0xffff) return undefined;
    const id = this.next++;
    this.ids.set(name, id);
    this.names.set(id, name);
    return id;
  }

  /** A client answered "invalid topic id": it lost the registration, so register again. */
  forget(id: number): void {
    const name = this.names.get(id);
    if (name === undefined) return;
    this.names.delete(id);
    this.ids.delete(name);
  }

  get size(): number {
    return this.ids.size;
  }
}
