import fc from 'fast-check';
import { stripMarkup } from './strip-markup';

describe('stripMarkup', () => {
  it.each([
    // HTML
    ['script with content', '<script>alert(1)</script>hello', 'hello'],
    ['style with content, Chinese', '<style>p { color: red }</style>正文', '正文'],
    ['unclosed script swallows the rest', 'ok<script>steal()', 'ok'],
    ['comment', '<!-- hidden -->visible', 'visible'],
    ['block tags become spaces', '<p>第一段</p><p>第二段</p>', '第一段 第二段'],
    ['br and li', 'a<br>b<br/>c<ul><li>x</li><li>y</li></ul>', 'a b c x y'],
    ['inline tags vanish', '<b>bold</b>text and <span class="x">这样</span>', 'boldtext and 这样'],
    ['doctype and attributes', '<!DOCTYPE html><a href="http://x.com" title=\'t\'>link</a>', 'link'],
    ['not tags', 'a < b > c, I <3 you, x<y', 'a < b > c, I <3 you, x<y'],
    // entities
    ['escaped tags do not survive', '&lt;b&gt;x&lt;/b&gt;', 'x'],
    ['double-escaped script', '&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;ok', 'ok'],
    ['numeric entities to Chinese', '&#20320;&#x597D;', '你好'],
    ['named entities', 'Tom &amp; Jerry &copy; &nbsp;2024', 'Tom & Jerry © 2024'],
    ['entity decoding to a control char', 'a&#1;b&#0;c', 'ab\uFFFDc'],
    ['bare ampersands stay', 'AT&T, Q&A, 你&我', 'AT&T, Q&A, 你&我'],
    ['full-width tag brackets decoded then stripped', '&#xFF1C;b&#xFF1E;粗&#xFF1C;/b&#xFF1E;', '粗'],
    // Markdown
    ['image → alt', '![一只猫](http://x.cn/cat.png)', '一只猫'],
    ['link → text', '[click here](https://example.com "title")', 'click here'],
    ['bold in Chinese', '**重要**通知', '重要通知'],
    ['emphasis', '*em* and _em_ and ~~old~~', 'em and em and old'],
    ['code span', 'run `npm test` now', 'run npm test now'],
    ['snake_case kept', 'snake_case_name', 'snake_case_name'],
    ['arithmetic kept', '2*3*4 = 24', '2*3*4 = 24'],
    ['lone markers kept', 'rated 5* and * footnote', 'rated 5* and * footnote'],
    // BBCode
    ['bold', '[b]粗体[/b]字', '粗体字'],
    ['url with value', '[url=http://x.com]my site[/url]', 'my site'],
    ['img content dropped', '[img]http://x.cn/a.png[/img]图片', '图片'],
    ['quote with author', '[quote=张三]原话[/quote]回复', '原话 回复'],
    ['color and size', '[color=red]红[/color][size=4]大[/size]', '红大'],
    ['list items', '[list][*]one[*]two[/list]', 'one two'],
    ['unknown tags kept', '[spoiler]x[/spoiler]', '[spoiler]x[/spoiler]'],
    ['array index kept', 'arr[i] = b[s]', 'arr[i] = b[s]'],
    // placeholders are never markup
    ['placeholders untouched', '[EMAIL] [URL] [PHONE] [CN_ID]', '[EMAIL] [URL] [PHONE] [CN_ID]'],
    ['placeholder followed by parentheses', '[EMAIL](home)', '[EMAIL](home)'],
    // plain text
    ['SQL injection is just text', "'; DROP TABLE users; --", "'; DROP TABLE users; --"],
  ])('%s', (_name, input, expected) => {
    expect(stripMarkup(input)).toBe(expected);
  });

  it('blanks markup characters when nesting is deeper than the round limit', () => {
    const deep = '&amp;amp;amp;amp;lt;b&amp;amp;amp;amp;gt;x';
    const out = stripMarkup(deep);
    expect(out).not.toMatch(/[<>&]/);
    expect(stripMarkup(out)).toBe(out);
  });

  it('is idempotent on markup-heavy strings', () => {
    const token = fc.constantFrom(
      '<b>',
      '</b>',
      '<',
      '>',
      '&lt;',
      '&amp;',
      '&gt;',
      '&#60;',
      '**',
      '*',
      '_',
      '__',
      '~~',
      '`',
      '[b]',
      '[/b]',
      '[url=x]',
      '[',
      ']',
      '(',
      ')',
      '!',
      'a',
      '好',
      ' ',
      '[EMAIL]',
      '<!--',
      '-->',
      '<script>',
      '</script>',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (parts) => {
        const once = stripMarkup(parts.join(''));
        expect(stripMarkup(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });
});
