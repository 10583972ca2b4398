/** A list's `q` is a literal substring: LIKE's wildcards and its escape character are escaped. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
