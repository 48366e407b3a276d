using System.Globalization;
using System.Text;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>
/// Python's <c>datetime.strftime</c> in the C locale (what transformers' <c>strftime_now</c> calls on a naive
/// local time), with glibc's '-' flag for unpadded numbers ("%-d"). %z and %Z are empty for a naive time.
/// </summary>
internal static class Strftime
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTime time, string format)
    {
        var text = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                text.Append(format[i]);
                continue;
            }

            bool unpadded = format[i + 1] == '-' && i + 2 < format.Length;
            char directive = format[unpadded ? i + 2 : i + 1];
            i += unpadded ? 2 : 1;
            string Number(int value, int width) => unpadded ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', width), CultureInfo.InvariantCulture);
            int hour12 = time.Hour % 12 == 0 ? 12 : time.Hour % 12;
            text.Append(directive switch
            {
                'a' => Days[(int)time.DayOfWeek][..3],
                'A' => Days[(int)time.DayOfWeek],
                'w' => ((int)time.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'd' => Number(time.Day, 2),
                'e' => unpadded ? Number(time.Day, 1) : time.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
                'b' or 'h' => Months[time.Month - 1][..3],
                'B' => Months[time.Month - 1],
                'm' => Number(time.Month, 2),
                'y' => Number(time.Year % 100, 2),
                'Y' => time.Year.ToString(CultureInfo.InvariantCulture),
                'H' => Number(time.Hour, 2),
                'I' => Number(hour12, 2),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'M' => Number(time.Minute, 2),
                'S' => Number(time.Second, 2),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture),
                'j' => Number(time.DayOfYear, 3),
                'U' => Number((time.DayOfYear + 6 - (int)time.DayOfWeek) / 7, 2),
                'W' => Number((time.DayOfYear + 6 - ((int)time.DayOfWeek + 6) % 7) / 7, 2),
                'c' => Format(time, "%a %b %e %H:%M:%S %Y"),
                'x' => Format(time, "%m/%d/%y"),
                'X' => Format(time, "%H:%M:%S"),
                'D' => Format(time, "%m/%d/%y"),
                'F' => Format(time, "%Y-%m-%d"),
                'T' => Format(time, "%H:%M:%S"),
                'R' => Format(time, "%H:%M"),
                'n' => "\n",
                't' => "\t",
                'z' or 'Z' => "",
                '%' => "%",
                _ => throw new TemplateError($"strftime_now: unsupported directive '%{directive}'"),
            });
        }

        return text.ToString();
    }
}
