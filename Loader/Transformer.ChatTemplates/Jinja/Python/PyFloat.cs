using System.Globalization;
using System.Text;

namespace Transformer.ChatTemplates.Jinja.Python;

/// <summary>
/// Python's <c>repr(float)</c> (which <c>str</c> and <c>json.dumps</c> use too): the shortest digits that
/// round-trip, written positionally when the decimal exponent is in [-4, 16) and always with a fractional
/// part ("1.0"), otherwise in exponent form with a signed two-digit-minimum exponent ("1e-05", "1.5e+20").
/// </summary>
internal static class PyFloat
{
    public static string Repr(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";

        // .NET's "R" gives the same shortest round-trip digits; only the layout differs.
        string r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int exponentAt = r.IndexOfAny(['E', 'e']);
        string mantissa = exponentAt < 0 ? r : r[..exponentAt];
        int exponent = exponentAt < 0 ? 0 : int.Parse(r[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int pointPosition = (dot < 0 ? mantissa.Length : dot) + exponent; // digits before the decimal point
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        pointPosition -= leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return value.Equals(-0.0) && double.IsNegative(value) ? "-0.0" : "0.0";

        int decimalExponent = pointPosition - 1;
        var text = new StringBuilder();
        if (double.IsNegative(value)) text.Append('-');
        if (decimalExponent is >= -4 and < 16)
        {
            if (pointPosition <= 0)
            {
                text.Append("0.").Append('0', -pointPosition).Append(digits);
            }
            else if (pointPosition >= digits.Length)
            {
                text.Append(digits).Append('0', pointPosition - digits.Length).Append(".0");
            }
            else
            {
                text.Append(digits, 0, pointPosition).Append('.').Append(digits, pointPosition, digits.Length - pointPosition);
            }
        }
        else
        {
            text.Append(digits[0]);
            if (digits.Length > 1) text.Append('.').Append(digits, 1, digits.Length - 1);
            text.Append('e').Append(decimalExponent < 0 ? '-' : '+').Append(Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
