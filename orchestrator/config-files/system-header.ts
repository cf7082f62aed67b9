/** The comment an exported configuration file starts with (config.example.yaml explains every key). */
export function systemFileHeader(mode: string): string[] {
  return [
    `trader configuration of the ${mode} system mode (trader config export).`,
    'Apply with `trader config apply <file>`: the whole file is checked first, the changes are shown and',
    'confirmed, then applied in one transaction. A section left out stays as it is; `markets` is the',
    'whole list. Raising the operational mode, MARKET_CLOSE_ALL_AND_HALT and activating leverage are',
    'refused here: their own commands ask for more. See config.example.yaml for every key.',
    '',
  ];
}
