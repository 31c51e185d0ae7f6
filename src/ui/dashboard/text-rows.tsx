/** Prints prepared rows of text, one Text each: the panel builders make the strings, Ink only places them. */
import { Box, Text } from "ink";

export function TextRows({ lines }: { lines: readonly string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line === "" ? " " : line}
        </Text>
      ))}
    </Box>
  );
}
