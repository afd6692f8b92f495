import fc from 'fast-check';
import type { RedactionCounts } from './cleaning-types';
import { redactPersonalData } from './redact-personal-data';

type Case = [name: string, input: string, expected: string, counts: RedactionCounts];

describe('redactPersonalData', () => {
  const cases: Case[] = [
    // emails
    [
      'email with plus-addressing and subdomains',
      'mail john.doe+news@mail.example.co.uk now',
      'mail [EMAIL] now',
      { email: 1 },
    ],
    ['email in Chinese text', '邮箱zhang_san@163.com谢谢', '邮箱[EMAIL]谢谢', { email: 1 }],
    ['two emails', 'a@b.com, c-d@e.org', '[EMAIL], [EMAIL]', { email: 2 }],
    ['without a TLD it is no email, but @name is a handle', 'user@localhost', 'user[HANDLE]', { handle: 1 }],
    // URLs
    ['http URL, sentence dot kept', 'see https://example.com/a?b=1&c=2.', 'see [URL].', { url: 1 }],
    ['URL in Chinese text stops at Han', '链接http://t.cn/A6xYz谢谢', '链接[URL]谢谢', { url: 1 }],
    ['www URL', 'visit www.example.com today', 'visit [URL] today', { url: 1 }],
    ['bare domain with path', '短链bit.ly/3xYz 和 t.cn/RxYz', '短链[URL] 和 [URL]', { url: 2 }],
    ['parenthesised URL', '(see http://a.com/x)', '(see [URL])', { url: 1 }],
    ['URL containing an email and an IP is one URL', 'http://10.0.0.1/?to=a@b.com', '[URL]', { url: 1 }],
    ['bare domain without path is left', 'example.com is nice', 'example.com is nice', {}],
    // IP addresses
    ['IPv4', 'server 192.168.1.1 down', 'server [IP] down', { ip: 1 }],
    ['IPv4 in Chinese', '服务器地址10.0.0.1无法访问', '服务器地址[IP]无法访问', { ip: 1 }],
    ['octet over 255', '256.1.1.1', '256.1.1.1', {}],
    ['longer dotted number', 'v1.2.3.4.5', 'v1.2.3.4.5', {}],
    ['IPv6 full', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '[IP]', { ip: 1 }],
    ['IPv6 compressed', 'hosts ::1 and fe80::1ff:fe23:4567:890a', 'hosts [IP] and [IP]', { ip: 2 }],
    ['IPv4-mapped IPv6', '::ffff:192.0.2.1', '[IP]', { ip: 1 }],
    ['times and C++ are not IPv6', '12:30:45 std::vector', '12:30:45 std::vector', {}],
    // Chinese resident IDs
    ['Chinese ID', '身份证号11010519491231002X。', '身份证号[CN_ID]。', { cn_id: 1 }],
    ['Chinese ID grouped 6-8-4', 'ID 440305 19900307 1236', 'ID [CN_ID]', { cn_id: 1 }],
    ['Chinese ID with bad checksum is not an ID', '身份证110105194912310021', '身份证110105194912310021', {}],
    ['Chinese ID inside a longer run', '9110105194912310021', '9110105194912310021', {}],
    // cards
    ['card grouped by spaces', 'card 4111 1111 1111 1111 exp', 'card [CARD] exp', { card: 1 }],
    ['card grouped by dashes in Chinese', '卡号4111-1111-1111-1111谢谢', '卡号[CARD]谢谢', { card: 1 }],
    ['Amex 4-6-5', '3782 822463 10005', '[CARD]', { card: 1 }],
    ['UnionPay 19 digits', '银行卡6222021234567890128', '银行卡[CARD]', { card: 1 }],
    ['card next to another number', 'qty 2 4111 1111 1111 1111', 'qty 2 [CARD]', { card: 1 }],
    ['non-Luhn number left alone', 'order 4111 1111 1111 1112', 'order 4111 1111 1111 1112', {}],
    ['card digits inside a longer run', '41111111111111111111', '41111111111111111111', {}],
    // phones
    ['North American with parentheses', 'call (555) 123-4567 now', 'call [PHONE] now', { phone: 1 }],
    ['North American dashed and dotted', '555-123-4567 or 555.123.4567', '[PHONE] or [PHONE]', { phone: 2 }],
    ['international with parentheses', '+1 (555) 123-4567', '[PHONE]', { phone: 1 }],
    ['UK international', 'ring +44 20 7946 0958.', 'ring [PHONE].', { phone: 1 }],
    ['German with trunk zero', '+49 (0)30 1234567', '[PHONE]', { phone: 1 }],
    ['China mobile bare', '手机13800138000谢谢', '手机[PHONE]谢谢', { phone: 1 }],
    ['China mobile +86, 3-4-4', '电话+86 138 0013 8000', '电话[PHONE]', { phone: 1 }],
    ['China mobile 0086, dashed', '0086 138-0013-8000', '[PHONE]', { phone: 1 }],
    ['China landline', '座机010-12345678', '座机[PHONE]', { phone: 1 }],
    ['12-digit run is no mobile', '138001380001', '138001380001', {}],
    ['prices and years stay', '价格12345元, 2023-12-31, 3.14', '价格12345元, 2023-12-31, 3.14', {}],
    // handles
    ['Latin handle', '@alice_99 thanks!', '[HANDLE] thanks!', { handle: 1 }],
    ['Chinese handle after Han', '感谢@小明 的分享', '感谢[HANDLE] 的分享', { handle: 1 }],
    ['email is not a handle', 'x@y.com', '[EMAIL]', { email: 1 }],
    ['bare @ is not a handle', 'meet @ 5pm', 'meet @ 5pm', {}],
    ['handles glued together', '@a@b@小红', '[HANDLE][HANDLE][HANDLE]', { handle: 3 }],
    ['phones glued together', '+44 20 7946 0958+44 20 7946 0958', '[PHONE][PHONE]', { phone: 2 }],
    // everything together
    [
      'mixed Chinese/English review',
      '联系我：wang.wei@qq.com 或 13912345678，官网 https://shop.cn/item/1，卡 4111111111111111，@客服小王',
      '联系我:[EMAIL] 或 [PHONE],官网 [URL],卡 [CARD],[HANDLE]'.replace(':', '：').replace(/,/g, '，'),
      { email: 1, phone: 1, url: 1, card: 1, handle: 1 },
    ],
    ['placeholders stay as they are', '[EMAIL] [PHONE] [CARD]', '[EMAIL] [PHONE] [CARD]', {}],
    ['SQL injection is just text', "'; DROP TABLE users; --", "'; DROP TABLE users; --", {}],
  ];

  it.each(cases)('%s', (_name, input, expected, counts) => {
    expect(redactPersonalData(input)).toEqual({ text: expected, counts });
  });

  it('catches what a neighbouring redaction exposes (second pass)', () => {
    expect(redactPersonalData('@bob::1')).toEqual({ text: '[HANDLE][IP]', counts: { handle: 1, ip: 1 } });
    expect(redactPersonalData('a@b.com4111111111111111')).toEqual({
      text: '[EMAIL][CARD]',
      counts: { email: 1, card: 1 },
    });
  });

  it('is idempotent', () => {
    const token = fc.constantFrom(
      'a@b.com',
      '4111 1111 1111 1111',
      '13800138000',
      '+44 20 7946 0958',
      '10.0.0.1',
      'http://x.cn/a',
      '@bob',
      '好',
      'x',
      '1',
      ' ',
      '-',
      '.',
      '@',
      ':',
      '[EMAIL]',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), (parts) => {
        const once = redactPersonalData(parts.join('')).text;
        expect(redactPersonalData(once)).toEqual({ text: once, counts: {} });
      }),
      { numRuns: 500 },
    );
  });
});
