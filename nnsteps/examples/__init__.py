"""The built-in example specs (<name>.toml), and the render options an example is drawn with unless told otherwise."""

# example -> its `render --compare` rules: the golden documents and `render <name>` show them by default
COMPARE = {"descent": "sgd,momentum,adam"}
