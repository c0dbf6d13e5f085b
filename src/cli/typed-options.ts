import type { Command, OptionValues } from '@commander-js/extra-typings';

/**
 * Commander's typed options (@commander-js/extra-typings) are ferry's one way
 * of reading a command line: each `.option()` / `.addOption()` adds its value
 * to the command's option type, so an action gets a typed object parsed once
 * by commander (argParsers validate and convert, `choices` narrow), never a
 * `Record<string, unknown>` to cast. Flag groups shared by several commands
 * (access, signing, run flags) are functions from a command to the command
 * with their options added; their values are read by helpers that take
 * {@link OptionsOf} the group.
 */

/** A command with no options yet: what flag groups are instantiated on to name their option types. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- commander's own "no options" type
export type NoOptions = {};

/**
 * The option values a flag group adds to a command, from the group's function
 * instantiated on a bare command: `OptionsOf<typeof addSigningFlags<[], NoOptions, NoOptions>>`.
 */
export type OptionsOf<F extends (...args: never[]) => unknown> = ReturnType<F> extends Command<unknown[], infer O, OptionValues> ? O : never;

/** The parser of a repeatable option (`-f A -f B`): each value appended to those before. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
