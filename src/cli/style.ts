/** Terminal styling for client commands: colour only on a terminal, and never with NO_COLOR. */

export function useColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

const SGR = { dim: '2', bold: '1', red: '31', green: '32', yellow: '33', boldRed: '1;31' } as const;
export type Style = keyof typeof SGR;

export function paint(text: string, style: Style): string {
  return `\u001b[${SGR[style]}m${text}\u001b[0m`;
}

/** The style of a Python log level. */
export function levelStyle(level: number): Style {
  if (level >= 50) return 'boldRed';
  if (level >= 40) return 'red';
  if (level >= 30) return 'yellow';
  if (level >= 20) return 'green';
  return 'dim';
}
