//! The lexer and parser of commercetools query predicates, producing an AST with positions.
//!
//! ```text
//! predicate  = or
//! or         = and { "or" and }
//! and        = unary { "and" unary }
//! unary      = "not" "(" predicate ")" | "(" predicate ")" | condition
//! condition  = ident "(" predicate ")"
//!            | ident op value
//!            | ident ["not"] "in" list
//!            | ident "contains" ("any" | "all") list
//!            | ident "is" ["not"] ("empty" | "defined")
//! list       = "(" value { "," value } ")" | param
//! value      = string | number | "true" | "false" | param
//! ```
//! Keywords are case-insensitive; strings are double-quoted with JSON escapes.

use std::fmt;

/// Where something is in the predicate text (1-based, as commercetools reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Condition(Condition),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub position: Position,
    pub test: Test,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `field(predicate)`: descend into an object, or match any element of an array.
    Nested(Box<Expr>),
    Compare(Comparison, Literal),
    In {
        negated: bool,
        values: List,
    },
    Contains {
        all: bool,
        values: List,
    },
    IsEmpty {
        negated: bool,
    },
    IsDefined {
        negated: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    String(String),
    /// The number as written, so that integers stay exact.
    Number(String),
    Bool(bool),
    /// `:name`, bound from `var.name`.
    Param(String),
}

/// As a predicate writes it, for error messages.
impl std::fmt::Display for LiteralValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::String(text) => write!(f, "{}", serde_json::Value::from(text.as_str())),
            Self::Number(number) => f.write_str(number),
            Self::Bool(value) => write!(f, "{value}"),
            Self::Param(name) => write!(f, ":{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: LiteralValue,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub enum List {
    Values(Vec<Literal>),
    Param(String, Position),
}

/// A syntax error, reported as commercetools does.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub position: Position,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.position)
    }
}

/// The longest predicate accepted, in bytes.
pub const MAX_PREDICATE_LENGTH: usize = 10_000;
/// The deepest nesting of parentheses and `not` accepted.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    String(String),
    Number(String),
    Param(String),
    Op(Comparison),
    LParen,
    RParen,
    Comma,
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Ident(name) => format!("'{name}'"),
            Token::String(_) => "a string".into(),
            Token::Number(n) => format!("'{n}'"),
            Token::Param(p) => format!("':{p}'"),
            Token::Op(_) => "an operator".into(),
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::Comma => "','".into(),
            Token::End => "end of input".into(),
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self, Token::Ident(name) if name.eq_ignore_ascii_case(word))
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: usize,
    column: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Self { chars: text.char_indices().peekable(), line: 1, column: 1 }
    }

    fn position(&self) -> Position {
        Position { line: self.line, column: self.column }
    }

    fn bump(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), position: self.position() }
    }

    fn tokens(mut self) -> Result<Vec<(Token, Position)>, SyntaxError> {
        let mut tokens = Vec::new();
        loop {
            while self.peek().is_some_and(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{c}')) {
                self.bump();
            }
            let position = self.position();
            let Some(c) = self.peek() else {
                tokens.push((Token::End, position));
                return Ok(tokens);
            };
            let token = match c {
                '(' => self.single(Token::LParen),
                ')' => self.single(Token::RParen),
                ',' => self.single(Token::Comma),
                '"' => Token::String(self.string()?),
                ':' => {
                    self.bump();
                    let name = self.word();
                    if name.is_empty() {
                        return Err(self.error("Invalid input, expected input parameter name"));
                    }
                    Token::Param(name)
                }
                '=' => self.single(Token::Op(Comparison::Eq)),
                '!' => {
                    self.bump();
                    if self.peek() != Some('=') {
                        return Err(self.error("Invalid input, expected '='"));
                    }
                    self.single(Token::Op(Comparison::Ne))
                }
                '<' => {
                    self.bump();
                    match self.peek() {
                        Some('=') => self.single(Token::Op(Comparison::Le)),
                        Some('>') => self.single(Token::Op(Comparison::Ne)),
                        _ => Token::Op(Comparison::Lt),
                    }
                }
                '>' => {
                    self.bump();
                    if self.peek() == Some('=') {
                        self.single(Token::Op(Comparison::Ge))
                    } else {
                        Token::Op(Comparison::Gt)
                    }
                }
                '-' | '0'..='9' => self.number_or_ident()?,
                c if is_ident_char(c) => Token::Ident(self.word()),
                other => return Err(self.error(format!("Invalid input '{other}'"))),
            };
            tokens.push((token, position));
        }
    }

    fn single(&mut self, token: Token) -> Token {
        self.bump();
        token
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek().filter(|c| is_ident_char(*c)) {
            word.push(c);
            self.bump();
        }
        word
    }

    /// Identifiers may start with a digit (UUIDs, locales), so a number is a word that reads
    /// as one: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number_or_ident(&mut self) -> Result<Token, SyntaxError> {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|c| is_ident_char(*c) || *c == '.' || *c == '+') {
            // A '+' belongs to a number only right after an exponent marker.
            if c == '+' && !text.ends_with(['e', 'E']) {
                break;
            }
            text.push(c);
            self.bump();
        }
        if is_number(&text) && !in_range(&text) {
            Err(self.error(format!("Number out of range '{text}'")))
        } else if is_number(&text) {
            Ok(Token::Number(text))
        } else if text.contains(['.', '+']) {
            Err(self.error(format!("Invalid number '{text}'")))
        } else {
            Ok(Token::Ident(text))
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.bump();
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("Unexpected end of input, expected '\"'")),
                Some('"') => return Ok(value),
                // Stored strings never hold NUL (PostgreSQL cannot), so no literal may either.
                Some('\0') => return Err(self.error("Strings cannot contain NUL")),
                Some('\\') => {
                    let escaped = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => self.unicode_escape()?,
                        _ => return Err(self.error("Invalid escape sequence")),
                    };
                    value.push(escaped);
                }
                Some(c) => value.push(c),
            }
        }
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00` for a character beyond the BMP (as JSON
    /// writes it, e.g. Python's `json.dumps`).
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let code = self.hex4()?;
        let code = match code {
            0xD800..=0xDBFF => {
                let low = match (self.bump(), self.bump()) {
                    (Some('\\'), Some('u')) => self.hex4()?,
                    _ => return Err(self.error("Invalid \\u escape: an unpaired surrogate")),
                };
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.error("Invalid \\u escape: an unpaired surrogate"));
                }
                0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("Invalid \\u escape: an unpaired surrogate")),
            code => code,
        };
        match char::from_u32(code) {
            // Stored strings never hold NUL (PostgreSQL cannot), so no literal may either.
            Some('\0') => Err(self.error("Invalid \\u escape: strings cannot contain NUL")),
            Some(c) => Ok(c),
            None => Err(self.error("Invalid \\u escape")),
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit =
                self.bump().and_then(|c| c.to_digit(16)).ok_or_else(|| self.error("Invalid \\u escape"))?;
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(at) => (&digits[..at], Some(&digits[at + 1..])),
        None => (digits, None),
    };
    let (int, fraction) = match mantissa.split_once('.') {
        Some((int, fraction)) => (int, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let int_ok = all_digits(int) && (int == "0" || !int.starts_with('0'));
    let fraction_ok = fraction.is_none_or(all_digits);
    let exponent_ok =
        exponent.is_none_or(|e| all_digits(e.strip_prefix('+').or_else(|| e.strip_prefix('-')).unwrap_or(e)));
    int_ok && fraction_ok && exponent_ok
}

/// Whether both databases can hold the number: a finite double (SQLite binds one), with an
/// exponent PostgreSQL's numeric takes (a literal like `1e999999` would fail the query there).
fn in_range(text: &str) -> bool {
    let exponent = match text.find(['e', 'E']) {
        Some(at) => text.get(at + 1..).and_then(|e| e.parse::<i64>().ok()),
        None => Some(0),
    };
    text.parse::<f64>().is_ok_and(f64::is_finite) && exponent.is_some_and(|e| e.abs() <= 1000)
}

struct Parser {
    tokens: Vec<(Token, Position)>,
    next: usize,
    depth: usize,
}

/// Parses one predicate.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    if text.len() > MAX_PREDICATE_LENGTH {
        return Err(SyntaxError {
            message: format!("The predicate is longer than {MAX_PREDICATE_LENGTH} characters"),
            position: Position { line: 1, column: 1 },
        });
    }
    let tokens = Lexer::new(text).tokens()?;
    let mut parser = Parser { tokens, next: 0, depth: 0 };
    let expr = parser.predicate()?;
    match parser.peek() {
        Token::End => Ok(expr),
        other => {
            Err(parser
                .error(format!("Invalid input {}, expected 'and', 'or' or end of input", other.describe())))
        }
    }
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.next).map_or(&Token::End, |(t, _)| t)
    }

    fn peek_at(&self, offset: usize) -> &Token {
        self.tokens.get(self.next + offset).map_or(&Token::End, |(t, _)| t)
    }

    fn position(&self) -> Position {
        self.tokens.get(self.next).or(self.tokens.last()).map_or(Position { line: 1, column: 1 }, |(_, p)| *p)
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        self.next += 1;
        token
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), position: self.position() }
    }

    fn expect(&mut self, expected: Token, what: &str) -> Result<(), SyntaxError> {
        if *self.peek() == expected {
            self.advance();
            Ok(())
        } else {
            Err(self.error(format!("Invalid input {}, expected {what}", self.peek().describe())))
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("The predicate is nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn predicate(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.conjunction()?;
        while self.peek().keyword("or") {
            self.advance();
            let right = self.conjunction()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        while self.peek().keyword("and") {
            self.advance();
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.peek().keyword("not") && *self.peek_at(1) == Token::LParen {
            self.advance();
            return Ok(Expr::Not(Box::new(self.parenthesized()?)));
        }
        if *self.peek() == Token::LParen {
            return self.parenthesized();
        }
        self.condition().map(Expr::Condition)
    }

    fn parenthesized(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        self.expect(Token::LParen, "'('")?;
        let inner = self.predicate()?;
        self.expect(Token::RParen, "')', 'and' or 'or'")?;
        self.depth -= 1;
        Ok(inner)
    }

    fn condition(&mut self) -> Result<Condition, SyntaxError> {
        let position = self.position();
        let field = match self.advance() {
            Token::Ident(name) => name,
            Token::End => {
                self.next -= 1;
                return Err(self.error("Unexpected end of input, expected not or conditional expression"));
            }
            other => {
                self.next -= 1;
                return Err(self.error(format!("Invalid input {}, expected a field name", other.describe())));
            }
        };
        let test = match self.peek().clone() {
            Token::LParen => Test::Nested(Box::new(self.parenthesized()?)),
            Token::Op(op) => {
                self.advance();
                Test::Compare(op, self.literal()?)
            }
            token if token.keyword("in") => {
                self.advance();
                Test::In { negated: false, values: self.list()? }
            }
            token if token.keyword("not") => {
                self.advance();
                if !self.peek().keyword("in") {
                    return Err(
                        self.error(format!("Invalid input {}, expected 'in'", self.peek().describe()))
                    );
                }
                self.advance();
                Test::In { negated: true, values: self.list()? }
            }
            token if token.keyword("contains") => {
                self.advance();
                let all = match self.advance() {
                    t if t.keyword("all") => true,
                    t if t.keyword("any") => false,
                    other => {
                        self.next -= 1;
                        return Err(self
                            .error(format!("Invalid input {}, expected 'any' or 'all'", other.describe())));
                    }
                };
                Test::Contains { all, values: self.list()? }
            }
            token if token.keyword("is") => {
                self.advance();
                let negated = self.peek().keyword("not");
                if negated {
                    self.advance();
                }
                match self.advance() {
                    t if t.keyword("empty") => Test::IsEmpty { negated },
                    t if t.keyword("defined") => Test::IsDefined { negated },
                    other => {
                        self.next -= 1;
                        return Err(self.error(format!(
                            "Invalid input {}, expected 'empty' or 'defined'",
                            other.describe()
                        )));
                    }
                }
            }
            other => {
                return Err(self.error(format!(
                    "Invalid input {}, expected comparison operator, not, in, contains, is or '('",
                    other.describe()
                )))
            }
        };
        Ok(Condition { field, position, test })
    }

    fn literal(&mut self) -> Result<Literal, SyntaxError> {
        let position = self.position();
        let value = match self.advance() {
            Token::String(s) => LiteralValue::String(s),
            Token::Number(n) => LiteralValue::Number(n),
            Token::Param(p) => LiteralValue::Param(p),
            t if t.keyword("true") => LiteralValue::Bool(true),
            t if t.keyword("false") => LiteralValue::Bool(false),
            other => {
                self.next -= 1;
                return Err(self.error(format!(
                    "Invalid input {}, expected input parameter or primitive value",
                    other.describe()
                )));
            }
        };
        Ok(Literal { value, position })
    }

    fn list(&mut self) -> Result<List, SyntaxError> {
        if let Token::Param(name) = self.peek().clone() {
            let position = self.position();
            self.advance();
            return Ok(List::Param(name, position));
        }
        self.expect(Token::LParen, "'(' or an input parameter")?;
        let mut values = vec![self.literal()?];
        while *self.peek() == Token::Comma {
            self.advance();
            values.push(self.literal()?);
        }
        self.expect(Token::RParen, "',' or ')'")?;
        Ok(List::Values(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AST without positions, for comparisons.
    fn shape(expr: &Expr) -> String {
        match expr {
            Expr::And(a, b) => format!("({} AND {})", shape(a), shape(b)),
            Expr::Or(a, b) => format!("({} OR {})", shape(a), shape(b)),
            Expr::Not(a) => format!("NOT {}", shape(a)),
            Expr::Condition(c) => match &c.test {
                Test::Nested(inner) => format!("{}[{}]", c.field, shape(inner)),
                Test::Compare(op, l) => format!("{} {op:?} {:?}", c.field, l.value),
                other => format!("{} {other:?}", c.field),
            },
        }
    }

    #[test]
    fn numbers_both_databases_cannot_hold_are_refused() {
        for fine in ["1e308", "-1.5e-300", "0.000001", "123456789012345678901234567890"] {
            assert!(parse(&format!("a = {fine}")).is_ok(), "{fine}");
        }
        for too_big in ["1e999999", "1e309", "-1e309", "1e-1001", "1e99999999999999999999"] {
            let error = parse(&format!("a = {too_big}")).unwrap_err();
            assert!(error.to_string().contains("out of range"), "{too_big}: {error}");
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let expr = parse("a = 1 or b = 2 and c = 3").unwrap();
        assert_eq!(shape(&expr), "(a Eq Number(\"1\") OR (b Eq Number(\"2\") AND c Eq Number(\"3\")))");
        let grouped = parse("(a = 1 or b = 2) and c = 3").unwrap();
        assert!(shape(&grouped).starts_with("((a"));
    }

    #[test]
    fn nested_paths_and_every_operator() {
        let expr = parse(
            r#"amountPlanned(centAmount > 500 and currencyCode = "EUR") and transactions(state="Pending")"#,
        )
        .unwrap();
        assert_eq!(
            shape(&expr),
            "(amountPlanned[(centAmount Gt Number(\"500\") AND currencyCode Eq String(\"EUR\"))] AND transactions[state Eq String(\"Pending\")])"
        );
        for text in [
            "a != 1",
            "a <> 1",
            "a < 1",
            "a <= 1",
            "a > 1",
            "a >= 1",
            "a in (1, 2)",
            "a not in (\"x\")",
            "a contains any (1)",
            "a contains all (1, 2)",
            "a is empty",
            "a is not empty",
            "a is defined",
            "a is not defined",
            "not(a = 1)",
            "not (a = 1)",
            "a = true",
            "a = FALSE",
            "a in :p",
            "a = :p",
            "name(en-US = \"x\")",
            "fields(1abc = 2)",
            "a = -1.5e3",
            "a = 0.25",
            "KEY = \"x\" AND id = \"y\" OR id = \"z\"",
        ] {
            assert!(parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn strings_take_json_escapes() {
        let expr = parse(r#"key = "a\"b\\c\u00e9\n""#).unwrap();
        let Expr::Condition(Condition { test: Test::Compare(_, literal), .. }) = expr else { panic!() };
        assert_eq!(literal.value, LiteralValue::String("a\"b\\cé\n".into()));
        assert!(parse("key = \"a\0b\"").is_err(), "no stored string holds NUL");
        assert!(parse(r#"key = "a\u0000b""#).is_err(), "nor escaped");
        let pair = parse(r#"key = "\ud83d\ude00""#).unwrap();
        let Expr::Condition(Condition { test: Test::Compare(_, literal), .. }) = pair else { panic!() };
        assert_eq!(literal.value, LiteralValue::String("\u{1F600}".into()), "a surrogate pair");
        for unpaired in
            [r#"key = "\ud83d""#, r#"key = "\ud83dx""#, r#"key = "\ude00""#, r#"key = "\ud83d\u0041""#]
        {
            let error = parse(unpaired).unwrap_err();
            assert!(format!("{error:?}").contains("unpaired surrogate"), "{unpaired}: {error:?}");
        }
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let error = parse("key = ").unwrap_err();
        assert_eq!(error.position, Position { line: 1, column: 7 });
        let error = parse("").unwrap_err();
        assert!(error.message.contains("Unexpected end of input"));
        let error = parse("a = 1\n and b == 2").unwrap_err();
        assert_eq!(error.position.line, 2);
        for bad in [
            "a = 1 b = 2",
            "(a = 1",
            "a = 1)",
            "a =",
            "= 1",
            "a in ()",
            "a in (1,)",
            "a is",
            "a is nothing",
            "a contains (1)",
            "a = 'single'",
            "a = \"unterminated",
            "a = 01",
            "a = 1.2.3",
            "a ! 1",
            "a = :",
            "not a = 1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn length_and_depth_are_bounded() {
        assert!(parse(&format!("a = \"{}\"", "x".repeat(MAX_PREDICATE_LENGTH))).is_err());
        let deep = format!("{}a = 1{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep).is_err());
        let nested = format!("{}a = 1{}", "x(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(parse(&nested).is_err());
        let fine = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&fine).is_ok());
    }
}
