package abi

// yoke's SDK flights read their input with a YAML decoder (yaml.NewYAMLToJSONDecoder), and an Application's
// `input` is usually written as YAML. Only the standard library is available to these examples, so this file
// reads the block-style subset people write there: mappings, "- " sequences, plain, quoted and JSON-flow
// scalars, comments. Real flights should use sigs.k8s.io/yaml instead.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

type yamlLine struct {
	indent int
	text   string
	number int
}

// InputJSON returns the input as JSON: JSON (or empty input) as is, block YAML converted.
func InputJSON(input []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(input)
	if len(trimmed) == 0 || trimmed[0] == '{' || trimmed[0] == '[' {
		return input, nil
	}
	lines, err := yamlLines(string(input))
	if err != nil {
		return nil, err
	}
	p := &yamlParser{lines: lines}
	value, err := p.block(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.lines) {
		return nil, fmt.Errorf("input line %d: unexpected indentation", p.lines[p.pos].number)
	}
	return json.Marshal(value)
}

// yamlLines drops blank lines, comments and the document markers, and records each line's indentation.
func yamlLines(text string) ([]yamlLine, error) {
	var lines []yamlLine
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(stripComment(raw), " \t\r")
		if strings.TrimSpace(line) == "" || line == "---" || line == "..." {
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(line, " "), "\t") {
			return nil, fmt.Errorf("input line %d: tabs cannot indent YAML", i+1)
		}
		content := strings.TrimLeft(line, " ")
		lines = append(lines, yamlLine{indent: len(line) - len(content), text: content, number: i + 1})
	}
	return lines, nil
}

// stripComment cuts a "#" that starts the line or follows a space, outside quotes.
func stripComment(line string) string {
	var quote rune
	for i, c := range line {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

type yamlParser struct {
	lines []yamlLine
	pos   int
}

// block reads the mapping or sequence whose lines are indented exactly `indent`.
func (p *yamlParser) block(indent int) (any, error) {
	if p.pos >= len(p.lines) {
		return nil, nil
	}
	if isSequenceItem(p.lines[p.pos].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func isSequenceItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

func (p *yamlParser) mapping(indent int) (any, error) {
	out := map[string]any{}
	for p.pos < len(p.lines) && p.lines[p.pos].indent == indent && !isSequenceItem(p.lines[p.pos].text) {
		line := p.lines[p.pos]
		key, rest, ok := splitKey(line.text)
		if !ok {
			return nil, fmt.Errorf("input line %d: expected \"key: value\", got %q", line.number, line.text)
		}
		p.pos++
		value, err := p.valueAfter(indent, rest, line.number, true)
		if err != nil {
			return nil, err
		}
		out[key] = value
	}
	return out, nil
}

func (p *yamlParser) sequence(indent int) (any, error) {
	out := []any{}
	for p.pos < len(p.lines) && p.lines[p.pos].indent == indent && isSequenceItem(p.lines[p.pos].text) {
		line := p.lines[p.pos]
		rest := strings.TrimPrefix(strings.TrimPrefix(line.text, "-"), " ")
		if _, _, isKey := splitKey(rest); isKey && !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, "\"") {
			// "- key: value": a mapping whose first entry sits on the item's line, two columns in
			p.lines[p.pos] = yamlLine{indent: indent + 2, text: rest, number: line.number}
			value, err := p.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			out = append(out, value)
			continue
		}
		p.pos++
		value, err := p.valueAfter(indent, rest, line.number, false)
		if err != nil {
			return nil, err
		}
		out = append(out, value)
	}
	return out, nil
}

// valueAfter is the scalar on the line, or the block nested under it (a key's sequence may sit at the key's indent).
func (p *yamlParser) valueAfter(indent int, rest string, number int, sameIndentSequence bool) (any, error) {
	if rest != "" {
		if rest == "|" || rest == ">" || strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, ">") {
			return nil, fmt.Errorf("input line %d: block scalars (| and >) are not supported by this example's YAML reader", number)
		}
		return scalar(rest, number)
	}
	if p.pos < len(p.lines) {
		next := p.lines[p.pos]
		if next.indent > indent || (sameIndentSequence && next.indent == indent && isSequenceItem(next.text)) {
			return p.block(next.indent)
		}
	}
	return nil, nil
}

// splitKey splits "key: value" or "key:" (the key plain or quoted).
func splitKey(text string) (string, string, bool) {
	if strings.HasPrefix(text, "\"") || strings.HasPrefix(text, "'") {
		end := strings.IndexByte(text[1:], text[0])
		if end < 0 {
			return "", "", false
		}
		key, after := text[1:end+1], text[end+2:]
		if after == ":" {
			return key, "", true
		}
		if strings.HasPrefix(after, ": ") {
			return key, strings.TrimSpace(after[2:]), true
		}
		return "", "", false
	}
	if strings.HasSuffix(text, ":") && !strings.Contains(text, ": ") {
		return text[:len(text)-1], "", true
	}
	i := strings.Index(text, ": ")
	if i <= 0 {
		return "", "", false
	}
	return text[:i], strings.TrimSpace(text[i+2:]), true
}

// scalar reads YAML 1.2 core scalars: null, booleans, numbers, quoted and plain strings, JSON flow collections.
func scalar(text string, number int) (any, error) {
	switch {
	case strings.HasPrefix(text, "\""):
		var s string
		if err := json.Unmarshal([]byte(text), &s); err != nil {
			return nil, fmt.Errorf("input line %d: bad double-quoted string %s", number, text)
		}
		return s, nil
	case strings.HasPrefix(text, "'"):
		if len(text) < 2 || !strings.HasSuffix(text, "'") {
			return nil, fmt.Errorf("input line %d: bad single-quoted string %s", number, text)
		}
		return strings.ReplaceAll(text[1:len(text)-1], "''", "'"), nil
	case strings.HasPrefix(text, "{") || strings.HasPrefix(text, "["):
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, fmt.Errorf("input line %d: flow collections must be JSON here: %s", number, text)
		}
		return v, nil
	case text == "null" || text == "~" || text == "Null" || text == "NULL":
		return nil, nil
	case text == "true" || text == "True" || text == "TRUE":
		return true, nil
	case text == "false" || text == "False" || text == "FALSE":
		return false, nil
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && !strings.ContainsAny(text, "xXpP_") {
		return f, nil
	}
	return text, nil
}
