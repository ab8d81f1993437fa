// Command easyjsontrim turns easyjson's output into code that agrees
// with encoding/json and links nothing else (see package jsonfast):
//
//   - map decoding follows encoding/json: an empty object gives an empty
//     map rather than nil, null gives nil rather than leaving the map as
//     it was, and a key given twice merges into the map already there;
//   - package easyjson goes, and easyjson's jwriter with it: they import
//     net and net/http (3 MB of binary, and their init functions in every
//     command's start-up). The interfaces the code needs from package
//     easyjson are jsonfast.Decoder and jsonfast.Encoder; with -encoders
//     the encoders stay and write through package jsonfast/jwriter,
//     without it they go.
//
// Usage: easyjsontrim [-encoders] FILE
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// generatedMap is easyjson's decoding of a map-typed field: $1 and $2 are
// the indents, $3 the field, $4 the map type.
var generatedMap = regexp.MustCompile(`if in\.IsNull\(\) \{\n(\t+)in\.Skip\(\)\n(\t+)\} else \{\n\t+in\.Delim\('\{'\)\n\t+if !in\.IsDelim\('\}'\) \{\n\t+(\S+) = make\(([^\n]+)\)\n\t+\} else \{\n\t+\S+ = nil\n\t+\}\n`)

const rewrittenMap = "if in.IsNull() {\n${1}in.Skip()\n${1}${3} = nil\n${2}} else {\n${1}in.Delim('{')\n${1}if ${3} == nil {\n${1}\t${3} = make(${4})\n${1}}\n"

// leftoverMap finds map decoding the pattern above did not match, so that
// an easyjson release that changes its output fails here, not silently.
var leftoverMap = regexp.MustCompile(`\} else \{\n\t+\S+ = nil\n`)

const (
	jsonfastPath    = "github.com/ocirun/ocirun/libcontainer/jsonfast"
	theirWriterPath = "github.com/mailru/easyjson/jwriter"
	ourWriterPath   = "github.com/ocirun/ocirun/libcontainer/jsonfast/jwriter"
)

var interfaces = strings.NewReplacer(
	"easyjson.Unmarshaler", "jsonfast.Decoder",
	"easyjson.Marshaler", "jsonfast.Encoder",
)

var keepEncoders = flag.Bool("encoders", false, "keep the encoders, writing through jsonfast/jwriter")

func main() {
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: easyjsontrim [-encoders] FILE")
		os.Exit(2)
	}
	if err := trim(flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "easyjsontrim:", err)
		os.Exit(1)
	}
}

func trim(name string) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if len(generatedMap.FindAllIndex(src, -1)) == 0 {
		return fmt.Errorf("%s: no map decoding found to rewrite", name)
	}
	src = generatedMap.ReplaceAll(src, []byte(rewrittenMap))
	if loc := leftoverMap.FindIndex(src); loc != nil {
		line := 1 + bytes.Count(src[:loc[0]], []byte("\n"))
		return fmt.Errorf("%s:%d: map decoding in a form this rewrite does not know", name, line)
	}
	src = []byte(interfaces.Replace(string(src)))
	if *keepEncoders {
		src = bytes.ReplaceAll(src, []byte(strconv.Quote(theirWriterPath)), []byte(strconv.Quote(ourWriterPath)))
	}

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return fmt.Errorf("parse the generated code: %w", err)
	}
	var kept []ast.Decl
	var dropped []ast.Node
	for _, d := range f.Decls {
		if encoderOnly(d) {
			dropped = append(dropped, d)
			continue
		}
		kept = append(kept, d)
	}
	f.Decls = kept
	f.Decls, dropped = dropUncalled(f.Decls, dropped)
	f.Comments = commentsOutside(f.Comments, dropped)
	used := selectorPackages(f)
	if err := dropUnusedImports(f, used); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if used["jsonfast"] {
		addImport(f, jsonfastPath)
	}
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		return fmt.Errorf("format the trimmed code: %w", err)
	}
	return os.WriteFile(name, out.Bytes(), 0o644)
}

// encoderOnly reports whether d serves only encoding: an encoder function,
// a MarshalEasyJSON method, or the block of blank variables that keeps
// every import used.
func encoderOnly(d ast.Decl) bool {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return !*keepEncoders && (strings.Contains(d.Name.Name, "Encode") || d.Name.Name == "MarshalEasyJSON")
	case *ast.GenDecl:
		if d.Tok != token.VAR {
			return false
		}
		for _, spec := range d.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				if n.Name != "_" {
					return false
				}
			}
		}
		return true
	}
	return false
}

// dropUncalled removes the generated functions nothing calls: easyjson
// writes a decoder for every type it meets, also where the code calls the
// type's own method instead (a configs.Config inside initproto's
// InitConfig), and the encoders of types whose encoders were dropped.
// Methods stay: they are what other packages call.
func dropUncalled(decls []ast.Decl, dropped []ast.Node) ([]ast.Decl, []ast.Node) {
	for {
		called := map[string]bool{}
		for _, d := range decls {
			ast.Inspect(d, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if id, ok := c.Fun.(*ast.Ident); ok {
						called[id.Name] = true
					}
				}
				return true
			})
		}
		var kept []ast.Decl
		for _, d := range decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && !called[fd.Name.Name] {
				dropped = append(dropped, d)
				continue
			}
			kept = append(kept, d)
		}
		if len(kept) == len(decls) {
			return kept, dropped
		}
		decls = kept
	}
}

// addImport adds path to the file's (first) import declaration.
func addImport(f *ast.File, path string) {
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			gd.Specs = append(gd.Specs, &ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(path)}})
			return
		}
	}
}

func commentsOutside(groups []*ast.CommentGroup, dropped []ast.Node) []*ast.CommentGroup {
	var kept []*ast.CommentGroup
next:
	for _, g := range groups {
		for _, d := range dropped {
			start := d.Pos()
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
				start = fd.Doc.Pos()
			}
			if gd, ok := d.(*ast.GenDecl); ok && gd.Doc != nil {
				start = gd.Doc.Pos()
			}
			if g.Pos() >= start && g.End() <= d.End() {
				continue next
			}
		}
		kept = append(kept, g)
	}
	return kept
}

// selectorPackages gives the names used as X in X.Sel: every package the
// code refers to (and some variables).
func selectorPackages(f *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// dropUnusedImports removes the imports the code no longer refers to; the
// decoders must not keep jwriter or easyjson.
func dropUnusedImports(f *ast.File, used map[string]bool) error {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var specs []ast.Spec
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			path, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				return err
			}
			local := path[strings.LastIndex(path, "/")+1:]
			if is.Name != nil {
				local = is.Name.Name
			}
			if used[local] {
				specs = append(specs, s)
			} else if path == "github.com/mailru/easyjson/jlexer" {
				return fmt.Errorf("the trimmed code no longer uses jlexer")
			}
		}
		gd.Specs = specs
	}
	for _, imp := range f.Imports {
		if p := imp.Path.Value; p == strconv.Quote(theirWriterPath) || p == `"github.com/mailru/easyjson"` {
			if used[imp.Name.String()] {
				return fmt.Errorf("%s is still used after trimming", p)
			}
		}
	}
	return nil
}
